import assert from 'node:assert/strict';

export const WEB_ORIGIN = 'https://admin.example.com';
/** The environment of a server with one website that logs in by scanning. */
export const QR_ENV = {
  WEB_CLIENTS: `admin:${WEB_ORIGIN}|http://localhost:5173`,
  WEB_CLIENT_NAMES: 'admin:运营后台',
  QR_LOGIN_RATE_LIMIT: '1000',
  // What nginx's geoip2 module would set in front of the server.
  QR_LOGIN_PLACE_HEADER: 'X-Geo-City',
};

export interface SseEvent {
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read event data field by field and assert them
  data: Record<string, any>;
}

/**
 * An EventSource as a test drives it: the events in order as they arrive, and whether the server
 * ended the stream. Parsing follows the text/event-stream format (comments, `event:`, `data:`).
 */
export async function openEvents(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const pump = (async () => {
    if (!res.body || !res.headers.get('content-type')?.startsWith('text/event-stream')) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let at = buffer.indexOf('\n\n');
        while (at !== -1) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
          at = buffer.indexOf('\n\n');
        }
        wake();
      }
    } catch {
      // aborted by the test
    }
    ended = true;
    wake();
  })();
  return {
    res,
    events,
    comments,
    get ended() {
      return ended;
    },
    /** Waits until `count` events arrived (or the stream ended first: then fails). */
    async next(count: number): Promise<SseEvent> {
      while (events.length < count) {
        assert.ok(!ended, `the stream ended after ${events.length} events, ${count} expected`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return events[count - 1] as SseEvent;
    },
    async closed(): Promise<void> {
      await pump;
    },
    close() {
      abort.abort();
    },
  };
}

/** The claims of a JWT, unverified: the tests look at what a website's backend would read. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
