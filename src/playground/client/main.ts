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
import { byId, showImage } from './dom.ts';
import { mountLanguageSwitch, onLanguageChange, translatePage } from './i18n.ts';
import { t } from './page-text.ts';
import { mountProfile, type ProfileView } from './profile.ts';
import { Trace } from './trace.ts';
import { mountWechatSettings } from './wechat-settings.ts';

interface PlaygroundConfig {
  appid: string;
  emulatorUrl: string;
  user: string;
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
  view.nickname.textContent = user ? (user.nickname ?? '(no nickname yet)') : 'Not logged in';
  // The stored avatar: ours at /media/avatars/…, or WeChat's (the initial stays offline).
  const initial = user?.nickname ? ([...user.nickname][0] ?? '') : '?';
  showImage(view.avatar, user?.avatarUrl ?? undefined, initial);
  profile?.show(user);
}

function showStatus(text: string, kind: 'ok' | 'error' | 'busy' = 'ok'): void {
  view.status.textContent = text;
  view.status.dataset.kind = kind;
}

function describe(err: unknown): string {
  if (isAuthError(err)) {
    if (err.code === 'AUTH_DENIED') return 'Authorization denied: the profile stays empty (AUTH_DENIED).';
    if (err.code === 'PHONE_DENIED') return 'The user declined to share the phone number (PHONE_DENIED).';
    if (err.code === 'PRIVACY_NOT_AUTHORIZED')
      return 'The user disagreed with the privacy guide (PRIVACY_NOT_AUTHORIZED).';
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
  const user = new NarratedUser(config.user, trace);
  // localStorage keeps the phone across reloads: reload the page to see a restart with stored tokens.
  const wx: WxStandIn = createWxStandIn({
    emulatorUrl: config.emulatorUrl,
    appid: config.appid,
    user,
    userInfo: 'legacy',
    storage: localStorage,
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
      trace.note('tap: 拒绝 — request.disagree()');
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
          title: 'Authorization needed',
          content: 'The demo shows your WeChat nickname and avatar. Turn on "User info" in the settings.',
          confirmText: 'Open',
          cancelText: 'Skip',
        },
      },
    });
    auth.on('user', showUser);
    auth.onPrivacyConsentNeeded((request) => {
      consent = request;
      view.privacyReferrer.textContent = request.referrer ?? '';
      view.privacy.hidden = false;
      trace.note(`privacy: ${request.referrer ?? 'a privacy API'} waits for consent — the app's popup is shown`);
      request.shown();
    });
    return auth;
  };
  let auth = start();

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
            (err: unknown) => showStatus(describe(err), 'error'),
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
  showUser(auth.user);
  if (auth.user) trace.note('restarted with the tokens in storage: no wx.login needed');

  action(view.login, async () => {
    trace.note('tap: Log in with WeChat — auth.login(), then auth.getUserInfo()');
    const login = await auth.login();
    showStatus(
      login.isNewUser ? 'Logged in: a new user. Fetching the profile…' : 'Logged in. Fetching the profile…',
      'busy',
    );
    const info = await auth.getUserInfo();
    return `Logged in as ${info.nickname ?? 'a user without nickname'}.`;
  });
  action(view.me, async () => {
    trace.note('tap: GET /v1/me — auth.request() with the access token');
    const me = await auth.me();
    return `GET /v1/me answered user ${me.id.slice(0, 8)}….`;
  });
  action(view.logout, async () => {
    trace.note('tap: log out — auth.logout()');
    await auth.logout();
    showUser(undefined);
    return 'Logged out.';
  });
  view.reset.addEventListener('click', () => {
    void auth.logout().finally(() => {
      answerConsent((request) => request.disagree());
      wx.uninstall();
      profile?.forget();
      auth = start();
      showUser(undefined);
      showStatus('The mini program was removed from the phone: no storage, no authorizations.');
      trace.note('reset: the mini program was removed from the phone');
    });
  });
  view.clear.addEventListener('click', () => trace.clear());
  view.phone.dataset.ready = 'true';
}

void main().catch((err: unknown) => {
  showStatus(`The playground failed to start: ${String(err)}`, 'error');
});
