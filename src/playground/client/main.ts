import {
  type Auth,
  type AuthUser,
  createAuth,
  isAuthError,
  type PrivacyConsentRequest,
} from '../../../packages/miniprogram/src/index.ts';
import {
  type AuthorizationRequest,
  createWxStandIn,
  type ModalRequest,
  ScriptedUser,
  type WxStandIn,
} from '../../stand-in/index.ts';
import { mountAccountRights } from './account-rights.ts';
import { byId, showImage } from './dom.ts';
import { mountLanguageSwitch, onLanguageChange, translatePage, wechatLanguage } from './i18n.ts';
import { t } from './page-text.ts';
import { mountProfile, type ProfileView } from './profile.ts';
import { Trace } from './trace.ts';
import { mountWebLogin } from './web-login.ts';
import { mountWechatSettings } from './wechat-settings.ts';

interface PlaygroundConfig {
  appid: string;
  emulatorUrl: string;
  user: string;
  /** The playground's id in WEB_CLIENTS, when dev registered its origin: the scan-to-login panel. */
  webClientId?: string;
}

/** The scripted user of the phone, narrating each answer in the trace. */
class NarratedUser extends ScriptedUser {
  readonly #trace: Trace;

  constructor(name: string, trace: Trace) {
    super(name);
    this.#trace = trace;
  }

  override authorize(request: AuthorizationRequest): boolean {
    const allowed = super.authorize(request);
    this.#narrateLast();
    return allowed;
  }

  override answerModal(modal: ModalRequest): boolean {
    const confirmed = super.answerModal(modal);
    this.#narrateLast();
    return confirmed;
  }

  override editSettings(current: Readonly<Record<string, boolean>>): Record<string, boolean> {
    const after = super.editSettings(current);
    this.#narrateLast();
    return after;
  }

  #narrateLast(): void {
    const prompt = this.prompts[this.prompts.length - 1];
    if (prompt) this.#trace.user(prompt);
  }
}

const view = {
  phone: byId<HTMLElement>('phone'),
  avatar: byId<HTMLDivElement>('avatar'),
  nickname: byId<HTMLParagraphElement>('nickname'),
  status: byId<HTMLParagraphElement>('status'),
  login: byId<HTMLButtonElement>('login'),
  me: byId<HTMLButtonElement>('me'),
  logout: byId<HTMLButtonElement>('logout'),
  deny: byId<HTMLInputElement>('deny'),
  reset: byId<HTMLButtonElement>('reset'),
  clear: byId<HTMLButtonElement>('clear-trace'),
  appid: byId<HTMLElement>('appid'),
  wechatUser: byId<HTMLElement>('wechat-user'),
  privacy: byId<HTMLDivElement>('privacy-popup'),
  privacyReferrer: byId<HTMLElement>('privacy-referrer'),
  privacyAgree: byId<HTMLButtonElement>('privacy-agree'),
  privacyDisagree: byId<HTMLButtonElement>('privacy-disagree'),
};

let profile: ProfileView | undefined;

function showUser(user: AuthUser | undefined): void {
  view.phone.dataset.loggedIn = String(user !== undefined);
  view.nickname.textContent = user ? (user.nickname ?? t('noNickname')) : t('notLoggedIn');
  // The stored avatar: ours at /media/avatars/…, or WeChat's (the initial stays offline).
  const initial = user?.nickname ? ([...user.nickname][0] ?? '') : '?';
  showImage(view.avatar, user?.avatarUrl ?? undefined, initial);
  profile?.show(user);
}

function showStatus(text: string, kind: 'ok' | 'error' | 'busy' = 'ok'): void {
  view.status.textContent = text;
  view.status.dataset.kind = kind;
}

/** An outcome for the status line; `user` is the profile shown, which a refusal leaves as it was. */
function describe(err: unknown, user: AuthUser | undefined): string {
  if (isAuthError(err)) {
    if (err.code === 'AUTH_DENIED') return t(user?.nickname || user?.avatarUrl ? 'deniedKept' : 'deniedEmpty');
    if (err.code === 'PHONE_DENIED') return t('phoneDenied');
    if (err.code === 'PRIVACY_NOT_AUTHORIZED') return t('privacyDenied');
    // The server's message is in the phone's language (the SDK sends it as Accept-Language).
    return `${err.code}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<void> {
  // The page's words first, so nothing shows in the wrong language while the config loads.
  translatePage(document, t);
  mountLanguageSwitch(byId<HTMLElement>('language-switch'));
  onLanguageChange(() => translatePage(document, t));
  const config = (await fetch('./config.json').then((r) => r.json())) as PlaygroundConfig;
  const trace = new Trace(byId<HTMLOListElement>('trace'));
  // WeChat calls made before this page loaded (earlier visits, the demo) are no request's of ours.
  await trace.skipEarlierWechatCalls();
  const user = new NarratedUser(config.user, trace);
  // localStorage keeps the phone across reloads: reload the page to see a restart with stored tokens.
  const wx: WxStandIn = createWxStandIn({
    emulatorUrl: config.emulatorUrl,
    appid: config.appid,
    user,
    userInfo: 'legacy',
    storage: localStorage,
    // wx.getAppBaseInfo().language follows the page's language switch, and the SDK sends it on.
    language: wechatLanguage,
    // The app's privacy guide declares what the profile and phone flows collect (wechat-api.md §20).
    privacy: { declared: ['UserInfo', 'PhoneNumber'], contractName: '《weapp-auth 演示隐私保护指引》' },
  });
  wx.onCall((event) => trace.wx(event));
  view.appid.textContent = config.appid;
  view.wechatUser.textContent = config.user;

  // The app's privacy popup (components/privacy-popup in docs/miniprogram.md): the SDK hands it
  // each API waiting for consent; the buttons answer it.
  let consent: PrivacyConsentRequest | undefined;
  const answerConsent = (answer: (request: PrivacyConsentRequest) => void) => {
    const request = consent;
    consent = undefined;
    view.privacy.hidden = true;
    if (request) answer(request);
  };
  view.privacyAgree.addEventListener('click', () =>
    answerConsent((request) => {
      // <button id="agree-privacy" open-type="agreePrivacyAuthorization">: the tap is the consent.
      const e = wx.buttons.agreePrivacyAuthorization('agree-privacy');
      trace.button('agreePrivacyAuthorization', e.detail);
      request.agree(e.target.id);
    }),
  );
  view.privacyDisagree.addEventListener('click', () =>
    answerConsent((request) => {
      trace.note(t('noteDisagree'));
      request.disagree();
    }),
  );

  const start = (): Auth => {
    // The wording hook of the permission dance (WeChat allows 4 characters on modal buttons).
    const auth = createAuth({
      baseUrl: location.origin,
      wx,
      prompts: {
        userInfo: {
          title: t('modalTitle'),
          content: t('modalContent'),
          confirmText: t('modalOpen'),
          cancelText: t('modalSkip'),
        },
      },
    });
    auth.on('user', showUser);
    auth.onPrivacyConsentNeeded((request) => {
      consent = request;
      view.privacyReferrer.textContent = request.referrer ?? '';
      view.privacy.hidden = false;
      trace.note(t('notePrivacyWaits', { api: request.referrer ?? t('aPrivacyApi') }));
      request.shown();
    });
    return auth;
  };
  let auth = start();
  onLanguageChange(() => showUser(auth.user));

  const setDenies = () => {
    user.deniesDialogs = view.deny.checked;
    user.grantsInSettings = !view.deny.checked;
  };
  view.deny.addEventListener('change', setDenies);
  setDenies();

  /** A button's work: busy state, the outcome in the phone, the trace settled before "done". */
  const action = (button: HTMLButtonElement, work: () => Promise<string>) => {
    button.addEventListener('click', () =>
      // A tap: WeChat APIs that need one (openSetting after the modal) accept it.
      wx.tap(() => {
        view.phone.dataset.busy = 'true';
        showStatus('…', 'busy');
        void work()
          .then(
            (text) => showStatus(text, 'ok'),
            (err: unknown) => showStatus(describe(err, auth.user), 'error'),
          )
          .finally(async () => {
            await trace.settled();
            view.phone.dataset.busy = 'false';
          });
      }),
    );
  };

  profile = mountProfile({ wx, auth: () => auth, trace, action });
  mountWechatSettings(byId<HTMLElement>('wechat-settings'), {
    ...config,
    trace,
    auth: () => auth,
    action,
    loggedOut: () => showUser(undefined),
  });
  mountAccountRights(byId<HTMLElement>('account-rights'), {
    wx,
    auth: () => auth,
    trace,
    action,
    loggedOut: () => showUser(undefined),
  });
  if (config.webClientId) {
    const host = byId<HTMLElement>('web-login');
    mountWebLogin(host, { wx, auth: () => auth, trace, action, ...config, webClientId: config.webClientId });
    host.hidden = false;
  }
  showUser(auth.user);
  if (auth.user) trace.note(t('restarted'));

  action(view.login, async () => {
    trace.note(t('noteLogin'));
    const login = await auth.login();
    showStatus(t(login.isNewUser ? 'loggedInNew' : 'loggedInFetching'), 'busy');
    const info = await auth.getUserInfo();
    return t('loggedInAs', { name: info.nickname ?? t('aUserWithoutNickname') });
  });
  action(view.me, async () => {
    trace.note(t('noteMe'));
    const me = await auth.me();
    return t('meAnswered', { id: me.id.slice(0, 8) });
  });
  action(view.logout, async () => {
    trace.note(t('noteLogout'));
    await auth.logout();
    showUser(undefined);
    return t('loggedOut');
  });
  view.reset.addEventListener('click', () => {
    void auth.logout().finally(() => {
      answerConsent((request) => request.disagree());
      wx.uninstall();
      profile?.forget();
      auth = start();
      showUser(undefined);
      showStatus(t('removed'));
      trace.note(t('noteReset'));
    });
  });
  view.clear.addEventListener('click', () => trace.clear());
  view.phone.dataset.ready = 'true';
}

void main().catch((err: unknown) => {
  showStatus(t('failedToStart', { error: String(err) }), 'error');
});
