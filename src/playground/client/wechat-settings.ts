import type { Auth } from '../../../packages/miniprogram/src/index.ts';
import type { PushDelivery } from '../../emulator/index.ts';
import { defineTexts, onLanguageChange } from './i18n.ts';
import type { Trace } from './trace.ts';

/**
 * "Revoke in WeChat settings": the simulated user withdraws what they authorized — the nickname
 * and avatar, the phone number — or deletes the WeChat account, in WeChat itself, outside the
 * mini program. The emulator (playing WeChat) changes its state and pushes the event to our
 * server's /wechat/push/{appid}, signed and sealed as WeChat does; the trace shows that push and
 * what the server answered, and the phone shows the effect. Uses only the emulator's control API.
 */

const t = defineTexts({
  en: {
    title: 'In WeChat’s settings',
    legend: 'WeChat → our server (push)',
    hint: 'Outside the mini program, in WeChat: the user withdraws an authorization or deletes the account. WeChat (the emulator) tells our server by message push (safe mode), and the server deletes what was withdrawn.',
    profile: 'Revoke nickname and avatar',
    phone: 'Revoke the phone number',
    all: 'Delete the WeChat account',
    restore: 'New WeChat account (emulator)',
    revoking: 'in WeChat’s settings: the user {what}',
    whatProfile: 'withdraws the nickname and avatar (RevokeInfo 6)',
    whatPhone: 'withdraws the phone number (RevokeInfo 8)',
    whatAll: 'deletes the WeChat account (注销)',
    pushTitle: 'WeChat → our server: POST /wechat/push/{appid} · {event}{revoke} · {mode}, {format}',
    attempt: 'attempt {n}: {answer}',
    delivered: 'The push was delivered: {event}.',
    failed: 'WeChat gave up after {n} attempts: the server did not answer “success”.',
    noPush: 'The emulator has no push URL for this app (WEAPP_PUSH is not set for dev).',
    deleted: 'The WeChat account is deleted: log in again with a new account.',
    restored: 'The user has a WeChat account again; the server sees a new user at the next login.',
  },
  zh: {
    title: '在微信设置中',
    legend: '微信 → 我们的服务端（推送）',
    hint: '在小程序之外、在微信里：用户撤回授权或注销账号。微信（由模拟器扮演）通过消息推送（安全模式）通知我们的服务端，服务端删除被撤回的数据。',
    profile: '撤回头像和昵称授权',
    phone: '撤回手机号授权',
    all: '注销微信账号',
    restore: '重新注册微信账号（模拟器）',
    revoking: '在微信设置中：用户{what}',
    whatProfile: '撤回了头像和昵称授权（RevokeInfo 6）',
    whatPhone: '撤回了手机号授权（RevokeInfo 8）',
    whatAll: '注销了微信账号',
    pushTitle: '微信 → 我们的服务端：POST /wechat/push/{appid} · {event}{revoke} · {mode}，{format}',
    attempt: '第 {n} 次投递：{answer}',
    delivered: '推送已送达：{event}。',
    failed: '微信尝试 {n} 次后放弃：服务端没有回复“success”。',
    noPush: '模拟器没有为这个小程序配置推送 URL（dev 没有设置 WEAPP_PUSH）。',
    deleted: '微信账号已注销：请用新账号重新登录。',
    restored: '用户重新拥有了微信账号；下次登录时服务端会把他当作新用户。',
  },
});

type Action = 'profile' | 'phone' | 'all';

/** How often the panel looks for pushes it did not start itself. */
const WATCH_MS = 1000;

/** A delivery as the emulator's control API reports it (GET /__emulator/pushes). */
type Delivery = PushDelivery;

export interface WechatSettingsDeps {
  emulatorUrl: string;
  appid: string;
  user: string;
  trace: Trace;
  /** The SDK instance of the moment: asked for /v1/me afterwards, to show the effect. */
  auth: () => Auth;
  action: (button: HTMLButtonElement, work: () => Promise<string>) => void;
  /** The phone shows nobody logged in (the mini program dropped a session that is gone). */
  loggedOut: () => void;
}

async function control<T>(
  emulatorUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${emulatorUrl}/__emulator${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

function button(text: string, id: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.id = id;
  node.textContent = text;
  return node;
}

export function mountWechatSettings(host: HTMLElement, deps: WechatSettingsDeps): void {
  const { emulatorUrl, appid, user, trace, action } = deps;
  const heading = document.createElement('h2');
  const hint = document.createElement('p');
  hint.className = 'hint';
  const buttons: Record<Action | 'restore', HTMLButtonElement> = {
    profile: button('', 'revoke-profile'),
    phone: button('', 'revoke-phone'),
    all: button('', 'revoke-all'),
    restore: button('', 'restore-wechat-account'),
  };
  buttons.restore.hidden = true;
  const row = document.createElement('div');
  row.className = 'wechat-settings-buttons';
  row.append(buttons.profile, buttons.phone, buttons.all, buttons.restore);
  host.replaceChildren(heading, hint, row);
  const legend = document.getElementById('legend-push');
  const words = () => {
    if (legend) legend.textContent = t('legend');
    heading.textContent = t('title');
    hint.textContent = t('hint');
    for (const key of ['profile', 'phone', 'all', 'restore'] as const) buttons[key].textContent = t(key);
  };
  words();
  onLanguageChange(words);

  /** Deliveries already in the trace: those of the buttons below, and those the watcher found. */
  const shown = new Set<number>();
  /** While a button's action runs, its own deliveries are shown by it, not by the watcher. */
  let acting = false;
  const showPush = (d: Delivery) => {
    shown.add(d.id);
    const revoke = d.revokeInfo ? ` (RevokeInfo ${d.revokeInfo})` : '';
    const attempts = d.attempts.map((a, i) => ({
      ok: a.outcome === 'success',
      text: t('attempt', {
        n: i + 1,
        answer:
          a.outcome === 'success'
            ? `${a.status} success`
            : `${a.outcome}${a.status ? ` ${a.status}` : ''}${a.answer ? ` ${a.answer}` : a.error ? ` ${a.error}` : ''}`,
      }),
    }));
    trace.push(t('pushTitle', { appid, event: d.event, revoke, mode: d.mode, format: d.format }), d.message, attempts);
  };

  const revoke = (what: Action) => async () => {
    acting = true;
    try {
      return await revokeNow(what);
    } finally {
      acting = false;
    }
  };
  const revokeNow = async (what: Action) => {
    trace.userNote(
      t('revoking', { what: t(what === 'profile' ? 'whatProfile' : what === 'phone' ? 'whatPhone' : 'whatAll') }),
    );
    const started = await control<{ deliveries?: { id: number }[]; message?: string }>(
      emulatorUrl,
      'POST',
      '/user-actions',
      {
        appid,
        user,
        action: what,
      },
    );
    if (started.status === 409) throw new Error(t('noPush'));
    if (started.status !== 202) throw new Error(started.body.message ?? `HTTP ${started.status}`);
    let last: Delivery | undefined;
    for (const { id } of started.body.deliveries ?? []) {
      shown.add(id);
      last = (await control<Delivery>(emulatorUrl, 'GET', `/pushes/${id}?wait=true`)).body;
      showPush(last);
    }
    if (what === 'all') {
      // The server deleted the user and ended the session; with no WeChat account, no login
      // follows: the mini program forgets its session.
      buttons.restore.hidden = false;
      await deps.auth().logout();
      deps.loggedOut();
    } else {
      // What the server did, seen from the mini program: the user as /v1/me now shows it.
      await deps.auth().me();
    }
    if (last?.status === 'failed') throw new Error(t('failed', { n: last.attempts.length }));
    return what === 'all' ? t('deleted') : t('delivered', { event: last?.event ?? '' });
  };
  action(buttons.profile, revoke('profile'));
  action(buttons.phone, revoke('phone'));
  action(buttons.all, revoke('all'));
  action(buttons.restore, async () => {
    await control(emulatorUrl, 'POST', '/users', { user, deleted: false });
    buttons.restore.hidden = true;
    return t('restored');
  });

  // Pushes WeChat sends on its own — the verdict of an avatar check (CONTENT_CHECK=on), seconds
  // after the upload was answered — join the trace once delivered (or given up on).
  // What was delivered before the page opened is history, not news: the deliveries listed when the
  // panel mounts, asked for at once. (It used to be what the watcher's first tick found; when every
  // tick of the first seconds fell inside a button's action, that tick came after the page's own
  // avatar verdict, which was then taken for history and never shown — CI, on a loaded machine.)
  const list = async () =>
    (await control<Delivery[]>(emulatorUrl, 'GET', `/pushes?appid=${encodeURIComponent(appid)}`)).body;
  let primed = false;
  const prime = async () => {
    for (const d of await list()) shown.add(d.id);
    primed = true;
    // From here on, a delivery is news; tests wait for it before a push of their own.
    host.dataset.watching = 'true';
  };
  const watch = async () => {
    // The first listing failed (the emulator not up yet): the first that answers is the history.
    if (!primed) return prime();
    if (acting || document.visibilityState !== 'visible') return;
    const body = await list();
    if (acting) return;
    for (const d of body) if (!shown.has(d.id) && d.status !== 'sending') showPush(d);
  };
  void prime().catch(() => undefined);
  setInterval(() => void watch().catch(() => undefined), WATCH_MS);
}
