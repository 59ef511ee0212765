import { WebAuthError } from './errors.ts';
import { type Follower, followEvents, followPolling } from './follow.ts';
import { type Fetch, requestJson } from './http.ts';
import { fetchOf, serverUrl, type WebTokens } from './tokens.ts';

/** Where the login stands: the ticket's states, and `error` when it cannot go on. */
export type QrLoginState = 'pending' | 'scanned' | 'confirmed' | 'cancelled' | 'expired' | 'error';

/** One step of the login, as the `status` listeners (and the listeners of that state) get it. */
export interface QrLoginUpdate {
  status: QrLoginState;
  /** How it arrived: the event stream, or polling (no EventSource, or the stream failed). */
  transport: 'events' | 'polling';
  /** `confirmed`: the tokens, handed over once. */
  tokens?: WebTokens;
  /** `error` (and `cancelled`, `expired`): what the result rejects with. */
  error?: WebAuthError;
  /** What else the server said with the state (e.g. when it was scanned), as it came. */
  data: Record<string, unknown>;
}

export type QrLoginEventName = QrLoginState | 'status';

export interface QrLoginOptions {
  /** The weapp-auth server, e.g. "https://auth.example.com"; this page's origin must be in its WEB_CLIENTS. */
  baseUrl: string;
  /** This website's id in WEB_CLIENTS. */
  clientId: string;
  /** Which mini program's code to show, when the server hosts several (default: the server's first). */
  appid?: string;
  /** `auto` (default): Server-Sent Events, polling when EventSource is missing or fails. `polling`: only polling. */
  transport?: 'auto' | 'polling';
  /** ms between two polls (default: what the server asks for, else 1 000). */
  pollIntervalMs?: number;
  /** Default: the page's fetch. */
  fetch?: Fetch;
  /** Default: the page's EventSource; `null` makes it poll, as a browser without one would. */
  EventSource?: typeof EventSource | null;
}

/** What POST /v1/qr-login answers: a ticket only this page knows the secret of. */
interface Ticket {
  id: string;
  secret: string;
  qrcode: string;
  expiresIn: number;
  /** ms between polls the server asks for. */
  pollInterval?: number;
}

const FINAL: ReadonlySet<QrLoginState> = new Set(['confirmed', 'cancelled', 'expired', 'error']);
const STATES: ReadonlySet<string> = new Set(['pending', 'scanned', 'confirmed', 'cancelled', 'expired']);

/** The secret shown in URLs is the browser's proof of ownership: it is sent, never shown. */
function ticketUrl(baseUrl: string, ticket: Ticket, suffix: string): string {
  return serverUrl(
    baseUrl,
    `/v1/qr-login/${encodeURIComponent(ticket.id)}${suffix}?secret=${encodeURIComponent(ticket.secret)}`,
  );
}

/** The tokens of a `confirmed` answer: under `tokens`, or the answer itself. */
function tokensOf(data: Record<string, unknown>): WebTokens | undefined {
  const candidate = (data.tokens && typeof data.tokens === 'object' ? data.tokens : data) as Partial<WebTokens>;
  return typeof candidate.accessToken === 'string' && typeof candidate.refreshToken === 'string'
    ? (candidate as WebTokens)
    : undefined;
}

/**
 * One login by scan: the code to show, its states as events, the tokens as `result`. Made by
 * {@link startQrLogin}.
 */
export class QrLoginSession {
  /** The ticket's id (not a secret: the secret stays inside this object). */
  readonly id: string;
  /** The mini-program code to show: an image URL (or a data URL) for `<img src>`. */
  readonly qrcodeUrl: string;
  /** When the code stops working (by this page's clock). */
  readonly expiresAt: Date;
  /** Resolves with the tokens once the phone confirmed; rejects with CANCELLED, EXPIRED, ABORTED or the server's code. */
  readonly result: Promise<WebTokens>;
  readonly #ticket: Ticket;
  readonly #options: QrLoginOptions;
  readonly #fetch: Fetch;
  readonly #listeners = new Map<QrLoginEventName, Set<(update: QrLoginUpdate) => void>>();
  #status: QrLoginState = 'pending';
  #transport: 'events' | 'polling' = 'events';
  #follower: Follower | undefined;
  #poller: (Follower & { once(): Promise<void> }) | undefined;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #refetched = false;
  #settle!: { resolve(tokens: WebTokens): void; reject(error: WebAuthError): void };

  constructor(ticket: Ticket, options: QrLoginOptions, fetchImpl: Fetch) {
    this.#ticket = ticket;
    this.#options = options;
    this.#fetch = fetchImpl;
    this.id = ticket.id;
    this.qrcodeUrl = /^(data:|https?:)/.test(ticket.qrcode) ? ticket.qrcode : serverUrl(options.baseUrl, ticket.qrcode);
    this.expiresAt = new Date(Date.now() + ticket.expiresIn * 1000);
    this.result = new Promise<WebTokens>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // A page that only listens to events must not see "unhandled rejection" for a cancelled code.
    this.result.catch(() => undefined);
  }

  /** The latest state. */
  get status(): QrLoginState {
    return this.#status;
  }

  /** How the states arrive now. */
  get transport(): 'events' | 'polling' {
    return this.#transport;
  }

  /** Listens to every state (`status`) or to one; returns the function that stops listening. */
  on(event: QrLoginEventName, listener: (update: QrLoginUpdate) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Gives up (the page closed the dialog, the user chose a password instead): the server cancels
   * the ticket (DELETE, best effort), so the phone cannot confirm it any more; `result` rejects
   * with ABORTED.
   */
  cancel(): void {
    if (FINAL.has(this.#status)) return;
    this.#stop();
    this.#status = 'error';
    this.#settle.reject(new WebAuthError('ABORTED', 'The page stopped waiting for the scan (cancel()).'));
    void requestJson(this.#fetch, ticketUrl(this.#options.baseUrl, this.#ticket, ''), { method: 'DELETE' }).catch(
      () => undefined,
    );
  }

  /** Starts following the ticket; called once by startQrLogin. */
  start(): void {
    const EventSourceImpl =
      this.#options.EventSource === undefined ? globalThis.EventSource : this.#options.EventSource;
    if (this.#options.transport === 'polling' || typeof EventSourceImpl !== 'function') this.#poll();
    else {
      this.#follower = followEvents(
        EventSourceImpl,
        ticketUrl(this.#options.baseUrl, this.#ticket, '/events'),
        this.#handlers('events'),
        () => this.#poll(),
      );
    }
    this.#armExpiry(this.expiresAt.getTime() - Date.now() + 2_000);
  }

  #poll(): void {
    if (FINAL.has(this.#status)) return;
    this.#follower?.stop();
    this.#transport = 'polling';
    this.#poller = followPolling(
      ticketUrl(this.#options.baseUrl, this.#ticket, ''),
      { intervalMs: this.#options.pollIntervalMs ?? this.#ticket.pollInterval ?? 1_000, fetch: this.#fetch },
      this.#handlers('polling'),
    );
    this.#follower = this.#poller;
  }

  /**
   * Past the expiry, the server decides: one more ask (its answer is final, whatever this page's
   * clock says); if it still says pending, ask again a little later.
   */
  #armExpiry(delayMs: number): void {
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = setTimeout(
      () => {
        if (FINAL.has(this.#status)) return;
        if (!this.#poller) this.#poll();
        else void this.#poller.once();
        this.#armExpiry(5_000);
      },
      Math.max(0, delayMs),
    );
  }

  #handlers(transport: 'events' | 'polling') {
    return {
      update: (data: unknown) => this.#apply(data, transport),
      refused: (error: WebAuthError) => {
        // Expired, or a ticket the server no longer knows past its time (its record is gone).
        const gone = error.statusCode === 404 && Date.now() >= this.expiresAt.getTime() - 1_000;
        if (error.code === 'QR_LOGIN_EXPIRED' || gone) {
          this.#finish('expired', transport, {}, undefined);
          return;
        }
        this.#finish('error', transport, {}, error);
      },
    };
  }

  #apply(raw: unknown, transport: 'events' | 'polling'): void {
    if (FINAL.has(this.#status) || !raw || typeof raw !== 'object') return;
    const data = raw as Record<string, unknown>;
    const status = String(data.status);
    if (!STATES.has(status)) return;
    if (status === 'confirmed') {
      const tokens = tokensOf(data);
      if (!tokens) {
        // The tokens go out once: to a reader of this ticket that was not this page, or a page reloaded.
        const error = new WebAuthError(
          'ALREADY_DELIVERED',
          'The login was confirmed, but its tokens went to another reader.',
        );
        if (data.delivered === true || this.#refetched) this.#finish('error', transport, data, error);
        else {
          // An event announcing the state without them: one read of the ticket fetches them.
          this.#refetched = true;
          if (this.#poller) void this.#poller.once();
          else this.#poll();
        }
        return;
      }
      this.#finish('confirmed', transport, data, undefined, tokens);
      return;
    }
    if (status === 'cancelled') {
      this.#finish(
        'cancelled',
        transport,
        data,
        new WebAuthError('CANCELLED', 'The user cancelled the login on the phone.'),
      );
      return;
    }
    if (status === 'expired') {
      this.#finish('expired', transport, data, new WebAuthError('EXPIRED', 'The code expired; show a new one.'));
      return;
    }
    if (status === this.#status) return;
    this.#status = status as QrLoginState;
    this.#emit({ status: this.#status, transport, data: withoutTokens(data) });
  }

  #finish(
    status: QrLoginState,
    transport: 'events' | 'polling',
    data: Record<string, unknown>,
    error: WebAuthError | undefined,
    tokens?: WebTokens,
  ): void {
    if (FINAL.has(this.#status)) return;
    this.#stop();
    this.#status = status;
    const failure =
      error ?? (status === 'expired' ? new WebAuthError('EXPIRED', 'The code expired; show a new one.') : undefined);
    this.#emit({
      status,
      transport,
      data: withoutTokens(data),
      ...(tokens && { tokens }),
      ...(failure && { error: failure }),
    });
    if (tokens) this.#settle.resolve(tokens);
    else this.#settle.reject(failure ?? new WebAuthError('HTTP_ERROR', `The login ended as ${status}.`));
  }

  #stop(): void {
    clearTimeout(this.#expiryTimer);
    this.#follower?.stop();
    this.#poller?.stop();
  }

  #emit(update: QrLoginUpdate): void {
    for (const name of [update.status, 'status'] as const) {
      for (const listener of this.#listeners.get(name) ?? []) {
        try {
          listener(update);
        } catch (err) {
          // One listener's bug must not stop the others, nor the login.
          setTimeout(() => {
            throw err;
          });
        }
      }
    }
  }
}

function withoutTokens(data: Record<string, unknown>): Record<string, unknown> {
  const { tokens: _tokens, accessToken: _a, refreshToken: _r, ...rest } = data;
  return rest;
}

/**
 * POST /v1/qr-login, then follows the ticket: show `qrcodeUrl`, listen to the states, await
 * `result` for the tokens. Rejects (with the server's code) when no ticket could be made.
 */
export async function startQrLogin(options: QrLoginOptions): Promise<QrLoginSession> {
  if (typeof options?.clientId !== 'string' || options.clientId === '') {
    throw new TypeError("startQrLogin: clientId must be this website's id in the server's WEB_CLIENTS");
  }
  const fetchImpl = fetchOf(options);
  const ticket = await requestJson<Ticket>(fetchImpl, serverUrl(options.baseUrl, '/v1/qr-login'), {
    method: 'POST',
    body: { clientId: options.clientId, ...(options.appid && { appid: options.appid }) },
  });
  if (
    !ticket ||
    typeof ticket.id !== 'string' ||
    typeof ticket.secret !== 'string' ||
    typeof ticket.qrcode !== 'string'
  ) {
    throw new WebAuthError(
      'HTTP_ERROR',
      'POST /v1/qr-login answered without {id, secret, qrcode}: is baseUrl a weapp-auth server?',
    );
  }
  const session = new QrLoginSession(ticket, options, fetchImpl);
  session.start();
  return session;
}
