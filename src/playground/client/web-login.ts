import {
  logout,
  type QrLoginSession,
  type QrLoginUpdate,
  startQrLogin,
  type WebTokens,
} from '../../../packages/web/src/index.ts';
import { onLanguageChange } from './i18n.ts';
import { mountQrConfirm, type QrConfirmDeps } from './qr-confirm.ts';
import { word } from './qr-login-text.ts';
import type { Trace } from './trace.ts';

export interface WebLoginDeps extends Omit<QrConfirmDeps, 'scan'> {
  /** This website's id in the server's WEB_CLIENTS (dev registers the playground's origin). */
  webClientId: string;
}

function node<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
): HTMLElementTagNameMap[K] {
  return Object.assign(document.createElement(tag), props);
}

/** The payload of one of our JWTs (shown, not trusted: the server verified it when it made it). */
function claims(accessToken: string): { sub?: string; aud?: string } {
  try {
    const part = (accessToken.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part)) as { sub?: string; aud?: string };
  } catch {
    return {};
  }
}

/**
 * `fetch` for the website's module that writes each request it sends (the ticket, logout) and its
 * answer in the trace; the polls of the ticket show up as the states they bring.
 */
function tracedFetch(trace: Trace): typeof fetch {
  return async (input, init) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') return fetch(input, init);
    const url = new URL(String(input), location.href);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const answer = trace.web(`browser → ${method} ${url.pathname}`, body);
    const res = await fetch(input, init);
    answer(
      res.status,
      await res
        .clone()
        .json()
        .catch(() => undefined),
    );
    return res;
  };
}

/**
 * The desktop browser beside the phone: a website with "log in with WeChat" that shows the code
 * weapp-auth drew for it (weapp-auth-web's startQrLogin), follows the scan over Server-Sent Events,
 * and is logged in when the phone confirms. "Scan with the phone" opens the confirm page on the
 * phone (qr-confirm.ts).
 */
export function mountWebLogin(host: HTMLElement, deps: WebLoginDeps): void {
  const { trace } = deps;
  const view = {
    heading: node('h2'),
    siteTitle: node('h3'),
    address: node('span', { className: 'address', textContent: `${location.origin}/login` }),
    start: node('button', { id: 'web-start', type: 'button', className: 'primary' }),
    code: node('img', { id: 'web-qrcode', alt: 'mini-program code' }),
    status: node('p', { id: 'web-status', className: 'web-status' }),
    scan: node('button', { id: 'web-scan', type: 'button' }),
    user: node('p', { id: 'web-user', className: 'web-user' }),
    logout: node('button', { id: 'web-logout', type: 'button' }),
  };
  const figure = node('figure', { className: 'web-code' });
  figure.append(view.code, view.status);
  const page = node('div', { className: 'web-page' });
  page.append(view.siteTitle, view.start, figure, view.scan, view.user, view.logout);
  const bar = node('div', { className: 'browser-bar' });
  bar.append(node('span', { className: 'dots', textContent: '● ● ●' }), view.address);
  host.replaceChildren(view.heading, bar, page);

  let login: QrLoginSession | undefined;
  let tokens: WebTokens | undefined;
  /** What the panel shows now, kept so a language switch can say it again. */
  let shown: { status: string; transport?: string; code?: string } = { status: 'idle' };
  let signedIn: { who: string; same: boolean; aud: string } | undefined;

  const render = () => {
    const { status, transport, code } = shown;
    host.dataset.status = status;
    view.heading.textContent = word('website');
    view.siteTitle.textContent = word('siteTitle');
    view.scan.textContent = word('scan');
    view.logout.textContent = word('logout');
    view.start.textContent = status === 'idle' ? word('start') : word('again');
    const words = status === 'idle' ? '' : word(status as 'pending');
    view.status.textContent = [words, code && `(${code})`, transport && `· ${word('via')} ${transport}`]
      .filter(Boolean)
      .join(' ');
    figure.hidden = status === 'idle' || status === 'confirmed';
    view.scan.hidden = !(status === 'pending' || status === 'scanned');
    view.start.hidden = !['idle', 'cancelled', 'expired', 'error'].includes(status);
    view.logout.hidden = status !== 'confirmed';
    view.user.hidden = status !== 'confirmed' || !signedIn;
    if (signedIn) {
      const same = signedIn.same ? word('sameUser') : word('otherUser');
      view.user.dataset.sameUser = String(signedIn.same);
      view.user.textContent = `${word('loggedInAs')} ${signedIn.who} — ${same} (${word('audience')}: ${signedIn.aud})`;
    }
  };
  const show = (next: typeof shown) => {
    shown = next;
    render();
  };
  render();
  onLanguageChange(render);

  const onUpdate = (update: QrLoginUpdate) => {
    const detail = {
      ...update.data,
      ...(update.tokens && { tokens: update.tokens }),
      ...(update.error && { code: update.error.code }),
    };
    trace.webEvent(`browser ← ${update.transport === 'events' ? 'event' : 'poll'}: ${update.status}`, detail);
    show({ status: update.status, transport: update.transport, ...(update.error && { code: update.error.code }) });
  };

  const begin = async () => {
    login?.cancel();
    tokens = undefined;
    signedIn = undefined;
    let started: QrLoginSession;
    try {
      started = await startQrLogin({ baseUrl: location.origin, clientId: deps.webClientId, fetch: tracedFetch(trace) });
    } catch (err) {
      show({ status: 'error', code: (err as { code?: string }).code ?? String(err) });
      return;
    }
    login = started;
    view.code.src = started.qrcodeUrl;
    started.on('status', onUpdate);
    if (started.transport === 'events') {
      trace.webEvent(`browser: new EventSource(/v1/qr-login/${started.id}/events?secret=…)`, { id: started.id });
    }
    show({ status: 'pending', transport: started.transport });
    try {
      tokens = await started.result;
    } catch {
      return; // cancelled, expired, failed: its event said so
    }
    const { sub, aud } = claims(tokens.accessToken);
    const who = (tokens.user as { nickname?: string | null } | undefined)?.nickname ?? sub ?? '?';
    signedIn = { who, same: sub !== undefined && sub === deps.auth().user?.id, aud: aud ?? '?' };
    render();
  };
  view.start.addEventListener('click', () => void begin());

  mountQrConfirm({ ...deps, scan: () => (login ? { qrcodeUrl: login.qrcodeUrl } : undefined) }, view.scan);

  view.logout.addEventListener('click', () => {
    const held = tokens;
    tokens = undefined;
    signedIn = undefined;
    show({ status: 'idle' });
    if (held) {
      const signOut = { baseUrl: location.origin, accessToken: held.accessToken, fetch: tracedFetch(trace) };
      void logout(signOut).catch(() => undefined);
    }
  });
}
