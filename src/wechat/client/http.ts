import { Agent, request } from 'undici';

/** What the client passes to fetch. The global `fetch` and undici's both accept it. */
export interface FetchInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** The part of a fetch Response the client reads. */
export interface FetchResponse {
  readonly status: number;
  text(): Promise<string>;
  /** The raw body; needed only by calls answered with an image (getUnlimitedQRCode). */
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/**
 * The transport boundary: any fetch-shaped function (a proxy-aware undici fetch, a test double).
 * It must honour `init.signal`, which carries the per-attempt timeout.
 */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface PooledFetch {
  fetch: FetchLike;
  close(): Promise<void>;
}

/**
 * undici's `request` over one Agent, shaped as the fetch the transport expects: connections to
 * api.weixin.qq.com stay open between calls (keep-alive), which saves a TCP and TLS handshake on
 * every login, and no WHATWG Request/Response/stream objects are built (fetch cost a fifth of a
 * login's CPU). The transport always reads the body, which returns the connection to the pool.
 */
export function createPooledFetch(options: { connectTimeoutMs: number; keepAliveTimeoutMs: number }): PooledFetch {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs },
    keepAliveTimeout: options.keepAliveTimeoutMs,
  });
  return {
    fetch: async (url, init) => {
      const response = await request(url, {
        method: init.method,
        headers: init.headers,
        body: init.body,
        signal: init.signal,
        dispatcher: agent,
      });
      return {
        status: response.statusCode,
        text: () => response.body.text(),
        arrayBuffer: () => response.body.arrayBuffer(),
      };
    },
    close: () => agent.close(),
  };
}

/** Failures that happen before a single byte of the request can have reached the server. */
const UNSENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface FetchFailure {
  kind: 'timeout' | 'network';
  code: string | undefined;
  requestSent: boolean;
  /** A short reason taken from the error (still to be redacted by the caller). */
  detail: string;
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Sorts whatever fetch threw into timeout or network, following undici's `cause` chain. */
export function classifyFetchFailure(err: unknown, timedOut: boolean): FetchFailure {
  const chain: unknown[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  const code = chain.map(errorCode).find((c) => c !== undefined);
  const innermost = chain.at(-1);
  const reason = innermost instanceof Error ? innermost.message : String(err);
  const isTimeout =
    timedOut ||
    chain.some((e) => (e as Error).name === 'TimeoutError') ||
    (code !== undefined && TIMEOUT_CODES.has(code));
  return {
    kind: isTimeout ? 'timeout' : 'network',
    code,
    requestSent: code === undefined || !UNSENT_CODES.has(code),
    detail: reason,
  };
}

export type JsonObject = Record<string, unknown>;

/**
 * WeChat's answers are JSON whatever the Content-Type says (usually text/plain), so the header is
 * ignored. Returns undefined unless the body is a JSON object.
 */
export function parseJsonObject(text: string): JsonObject | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}
