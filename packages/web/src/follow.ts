import type { WebAuthError } from './errors.ts';
import { answerError, type Fetch } from './http.ts';

/** What a transport hands over: an answer of the server about the ticket, or why it has none. */
export interface FollowHandlers {
  /** A state of the ticket as the server sent it (`{status, tokens?, …}`). */
  update(data: unknown): void;
  /** The server refused (a coded 4xx): nothing more will come this way. */
  refused(error: WebAuthError): void;
}

export interface Follower {
  stop(): void;
}

/**
 * The event types of the stream: one per state, named after it, its data the ticket's state
 * (README "Scan to log in on a website"); `message` and `status` for servers that send `{status}` unnamed.
 */
const STATE_EVENTS = ['message', 'status', 'pending', 'scanned', 'confirmed', 'cancelled', 'expired'];

/**
 * GET /v1/qr-login/{id}/events as Server-Sent Events. `lost()` is called once when the stream
 * cannot be used: it never opened (blocked, a proxy, an old server), or the browser gave it up.
 * A stream that had opened and drops is left to the browser's own reconnection.
 */
export function followEvents(
  EventSourceImpl: typeof EventSource,
  url: string,
  handlers: FollowHandlers,
  lost: () => void,
): Follower {
  const source = new EventSourceImpl(url);
  let opened = false;
  let stopped = false;
  const onData = (type: string) => (event: Event) => {
    const raw = (event as MessageEvent).data;
    let data: unknown;
    try {
      data = typeof raw === 'string' && raw !== '' ? JSON.parse(raw) : {};
    } catch {
      return; // a comment or keep-alive the server sent as data: not a state
    }
    const named = type === 'message' || type === 'status' ? {} : { status: type };
    if (data && typeof data === 'object') handlers.update({ ...named, ...(data as object) });
  };
  source.addEventListener('open', () => {
    opened = true;
  });
  for (const type of STATE_EVENTS) source.addEventListener(type, onData(type));
  source.addEventListener('error', (event) => {
    if (stopped) return;
    // `event: error` from the server: a failure after the stream began, `{code, message}`; final.
    const sent = (event as MessageEvent).data;
    if (typeof sent === 'string' && sent !== '') {
      stopped = true;
      source.close();
      let body: unknown;
      try {
        body = JSON.parse(sent);
      } catch {
        body = undefined;
      }
      handlers.refused(answerError(400, body));
      return;
    }
    // The connection's own error: the browser reconnects a stream that had opened, unless it gave up.
    if (opened && source.readyState !== 2) return;
    stopped = true;
    source.close();
    lost();
  });
  return {
    stop() {
      stopped = true;
      source.close();
    },
  };
}

export interface PollOptions {
  intervalMs: number;
  fetch: Fetch;
}

/**
 * GET /v1/qr-login/{id}?secret=… every `intervalMs` until stopped. No answer, a 5xx or a 429 waits
 * (Retry-After when given, else longer each time) and asks again; a coded 4xx is a refusal.
 */
export function followPolling(
  url: string,
  options: PollOptions,
  handlers: FollowHandlers,
): Follower & {
  once(): Promise<void>;
} {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let inFlight: Promise<void> | undefined;
  const ask = async (): Promise<number> => {
    let res: Response;
    try {
      res = await options.fetch(url, {
        headers: { accept: 'application/json' },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      failures++;
      return backoff(options.intervalMs, failures);
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.ok) {
      failures = 0;
      handlers.update(body);
      return options.intervalMs;
    }
    if (res.status === 429 || res.status >= 500 || res.status === 408) {
      failures++;
      const retryAfter = Number(res.headers.get('retry-after'));
      return Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff(options.intervalMs, failures);
    }
    stopped = true;
    handlers.refused(answerError(res.status, body));
    return 0;
  };
  const once = (): Promise<void> => {
    inFlight ??= ask().then((wait) => {
      inFlight = undefined;
      if (stopped) return;
      clearTimeout(timer);
      timer = setTimeout(() => void once(), wait);
    });
    return inFlight;
  };
  void once();
  return {
    once,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** After `failures` failures in a row: the interval doubled each time, at most 30 s. */
function backoff(intervalMs: number, failures: number): number {
  return Math.min(30_000, intervalMs * 2 ** Math.min(failures, 5));
}
