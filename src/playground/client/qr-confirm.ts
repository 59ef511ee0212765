import type { Auth, QrLoginRequest } from '../../../packages/miniprogram/src/index.ts';
import type { WxStandIn } from '../../stand-in/index.ts';
import { onLanguageChange } from './i18n.ts';
import { word } from './qr-login-text.ts';
import type { Trace } from './trace.ts';

export interface QrConfirmDeps {
  wx: WxStandIn;
  /** The SDK instance of the moment (removing the mini program makes a new one). */
  auth: () => Auth;
  trace: Trace;
  /** Runs a tap's work with the phone busy and its outcome in the status line. */
  action: (button: HTMLButtonElement, work: () => Promise<string>) => void;
  /** The emulator, whose control API plays the phone's camera. */
  emulatorUrl: string;
  /** The code the website shows now, if any. */
  scan: () => { qrcodeUrl: string } | undefined;
}

/** What WeChat does when the camera reads a mini-program code: the page it opens and its query. */
interface ScanResult {
  page: string;
  query: { scene: string };
}

type PageState = 'ask' | 'confirmed' | 'cancelled' | 'failed';

function node<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
): HTMLElementTagNameMap[K] {
  return Object.assign(document.createElement(tag), props);
}

const BROWSERS: [RegExp, string][] = [
  [/Edg\/(\d+)/, 'Edge'],
  [/Chrome\/(\d+)/, 'Chrome'],
  [/Firefox\/(\d+)/, 'Firefox'],
  [/Version\/(\d+).*Safari/, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome 131 · Linux": what the confirm page says about the browser asking. */
function describeBrowser(userAgent: string | null): string {
  if (!userAgent) return word('unknownBrowser');
  const found = BROWSERS.map(([pattern, name]) => [pattern.exec(userAgent), name] as const).find(([m]) => m);
  const browser = found ? `${found[1]} ${found[0]?.[1]}` : 'Browser';
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  return system ? `${browser} · ${system}` : browser;
}

/**
 * The example mini program's pages/qr-login/confirm on the simulated phone: "Scan with the phone"
 * has the emulator read the website's code as WeChat's camera would, the page opens with the
 * scene in its query, inspects the request (auth.qrLogin.inspect) and waits for the user's tap.
 */
export function mountQrConfirm(deps: QrConfirmDeps, scanButton: HTMLButtonElement): void {
  const { trace, action } = deps;
  const view = {
    page: node('div', { id: 'qr-confirm', className: 'qr-confirm-page', hidden: true }),
    title: node('p', { className: 'qr-title' }),
    origin: node('p', { className: 'qr-origin' }),
    browser: node('p', { className: 'qr-browser' }),
    account: node('p', { className: 'qr-account' }),
    warning: node('p', { className: 'qr-warning' }),
    confirm: node('button', { id: 'qr-confirm-button', className: 'primary', type: 'button' }),
    cancel: node('button', { id: 'qr-cancel-button', type: 'button' }),
    done: node('p', { className: 'qr-done' }),
    close: node('button', { id: 'qr-close-button', type: 'button' }),
  };
  const asking = [view.title, view.origin, view.browser, view.account, view.warning, view.confirm, view.cancel];
  view.page.append(...asking, view.done, view.close);
  document.getElementById('phone')?.append(view.page);
  let scene = '';
  let state: PageState = 'ask';
  let request: QrLoginRequest | undefined;
  let failure = '';

  const render = () => {
    view.page.dataset.state = state;
    for (const part of asking) part.hidden = state !== 'ask';
    view.done.hidden = state === 'ask';
    view.done.textContent =
      state === 'confirmed' ? word('confirmedPhone') : state === 'cancelled' ? word('cancelledPhone') : failure;
    view.warning.textContent = word('warning');
    view.confirm.textContent = word('confirm');
    view.cancel.textContent = word('cancel');
    view.close.textContent = word('close');
    if (!request) return;
    view.title.textContent = `${request.client.name} ${word('confirmTitle')}`;
    view.origin.textContent = request.client.origin;
    const place = request.browser.place ? ` · ${request.browser.place}` : '';
    view.browser.textContent = `${describeBrowser(request.browser.userAgent)} · IP ${request.browser.ip}${place}`;
    const user = deps.auth().user;
    view.account.textContent = `${word('account')}: ${user?.nickname ?? user?.id ?? '微信用户'}`;
  };
  const show = (next: PageState) => {
    state = next;
    view.page.hidden = false;
    render();
  };
  onLanguageChange(render);

  action(scanButton, async () => {
    const code = deps.scan();
    if (!code) return word('noCode');
    trace.note("the user scans the website's code with WeChat (the emulator reads it, as the camera would)");
    const res = await fetch(`${deps.emulatorUrl}/__emulator/wxacode/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: code.qrcodeUrl }),
    });
    const opened = (await res.json()) as ScanResult;
    if (!res.ok) throw new Error(`the emulator could not read the code: ${JSON.stringify(opened)}`);
    trace.note(`WeChat opens ${opened.page} with onLoad({scene: ${JSON.stringify(opened.query.scene)}})`);
    scene = decodeURIComponent(opened.query.scene);
    request = undefined;
    try {
      request = await deps.auth().qrLogin.inspect(scene);
    } catch (err) {
      failure = (err as Error).message;
      show('failed');
      throw err;
    }
    show('ask');
    return word('asks', { name: request.client.name, origin: request.client.origin });
  });
  action(view.confirm, async () => {
    trace.note('tap: 确认登录 — auth.qrLogin.confirm(scene)');
    await deps.auth().qrLogin.confirm(scene);
    show('confirmed');
    return word('confirmedStatus');
  });
  action(view.cancel, async () => {
    trace.note('tap: 取消 — auth.qrLogin.cancel(scene)');
    await deps.auth().qrLogin.cancel(scene);
    show('cancelled');
    return word('cancelledStatus');
  });
  view.close.addEventListener('click', () => {
    view.page.hidden = true;
  });
}
