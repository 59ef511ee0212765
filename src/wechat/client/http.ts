import { createRequire } from 'node:module';
import type { Dispatcher, Agent as UndiciAgent } from 'undici';

/**
 * undici's Agent alone. The package's index loads all of undici (its fetch, WebSocket, cookies:
 * ~3 MB of heap in every server), and its cookies module reads the global `Headers`, which makes
 * Node load its own bundled copy of undici as well. The client needs the dispatcher only. The
 * path is undici's (no exports map restricts it); the WeChat client's tests fail if it moves.
 */
const Agent = createRequire(import.meta.url)('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;

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

/** One HTTP exchange as the transport asks for it: the whole answer, or a failure, within `timeoutMs`. */
export interface ExchangeRequest {
  /** scheme://host[:port] */
  origin: string;
  /** Path and query, already encoded. */
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** From sending to the last byte of the answer. */
  timeoutMs: number;
  /** How the answer will be read: an image answer needs the fetch's arrayBuffer(). */
  read: 'text' | 'bytes';
}

export interface ExchangeAnswer {
  status: number;
  body: Buffer;
}

export type Exchange = (request: ExchangeRequest) => Promise<ExchangeAnswer>;

/** What a passed deadline is called, in an exchange's error and in the transport's. */
export const timeoutDetail = (timeoutMs: number) => `no complete answer within ${timeoutMs} ms`;

/** The deadline of an exchange passed (`name` as a fetch's AbortSignal.timeout reports it). */
export class ExchangeTimeoutError extends Error {
  override name = 'TimeoutError';

  constructor(timeoutMs: number, options?: ErrorOptions) {
    super(timeoutDetail(timeoutMs), options);
  }
}

export interface PooledExchange {
  exchange: Exchange;
  close(): Promise<void>;
}

/**
 * The largest answer accepted. WeChat's JSON answers are a few hundred bytes and its largest, a
 * wxacode image (wechat-api.md §19.1), well under a megabyte; anything far bigger is not WeChat.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * The built-in exchange: undici's dispatcher, straight, over one keep-alive Agent. Connections to
 * api.weixin.qq.com stay open between calls (no TCP and TLS handshake per login), and a call
 * builds none of what `fetch` or even undici's `request` would: no Request/Response, no body
 * stream, no AbortSignal (whose timeout is a timer plus a weak reference the garbage collector
 * must visit). The deadline is one timer that aborts through the dispatcher's controller. Measured
 * against `request` with AbortSignal.timeout, 50 calls in flight on loopback: 17-22 µs of CPU a
 * call against 55-63 (BENCHMARKS.md, issue 11 step 8).
 */
export function createPooledExchange(options: {
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
}): PooledExchange {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs },
    keepAliveTimeout: options.keepAliveTimeoutMs,
    maxResponseSize: MAX_ANSWER_BYTES,
  });
  return {
    exchange: (request) =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let status = 0;
        let controller: Dispatcher.DispatchController | undefined;
        let expired: ExchangeTimeoutError | undefined;
        const timer = setTimeout(() => {
          expired = new ExchangeTimeoutError(request.timeoutMs);
          // Settled now, whether or not the request was on a socket yet; if it was not, it is
          // aborted the moment it is (onRequestStart).
          reject(expired);
          controller?.abort(expired);
        }, request.timeoutMs);
        const handler: Dispatcher.DispatchHandler = {
          onRequestStart(started) {
            controller = started;
            if (expired) started.abort(expired);
          },
          onResponseStart(_controller, statusCode) {
            status = statusCode;
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            clearTimeout(timer);
            resolve({ status, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) });
          },
          onResponseError(_controller, err) {
            clearTimeout(timer);
            reject(err);
          },
        };
        const { origin, path, method, headers, body } = request;
        agent.dispatch(
          body === undefined ? { origin, path, method, headers } : { origin, path, method, headers, body },
          handler,
        );
      }),
    close: () => agent.close(),
  };
}

/**
 * A caller's own fetch (a proxy's, a test double) as an exchange: the deadline as an
 * AbortSignal, which the fetch must honour.
 */
export function exchangeOverFetch(fetch: FetchLike): Exchange {
  return async (request) => {
    const signal = AbortSignal.timeout(request.timeoutMs);
    // However the fetch reports an abort, a passed deadline is a timeout.
    const timeoutOr = (err: unknown) =>
      signal.aborted ? new ExchangeTimeoutError(request.timeoutMs, { cause: err }) : err;
    const init: FetchInit = { method: request.method, headers: request.headers, signal };
    if (request.body !== undefined) init.body = request.body;
    let response: FetchResponse;
    try {
      response = await fetch(request.origin + request.path, init);
    } catch (err) {
      throw timeoutOr(err);
    }
    const { arrayBuffer } = response;
    if (request.read === 'bytes' && !arrayBuffer) {
      throw new UnfitFetchError('the fetch given to WeChatClient must offer arrayBuffer() for image answers');
    }
    try {
      const body =
        request.read === 'bytes' && arrayBuffer
          ? Buffer.from(await arrayBuffer.call(response))
          : Buffer.from(await response.text(), 'utf8');
      return { status: response.status, body };
    } catch (err) {
      throw timeoutOr(err);
    }
  };
}

/** The caller's fetch cannot do what a call needs: a programming error, not WeChat's failure. */
export class UnfitFetchError extends TypeError {}

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

/** Sorts whatever an exchange threw into timeout or network, following undici's `cause` chain. */
export function classifyFetchFailure(err: unknown): FetchFailure {
  const chain: unknown[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  const code = chain.map(errorCode).find((c) => c !== undefined);
  const innermost = chain.at(-1);
  const reason = innermost instanceof Error ? innermost.message : String(err);
  const isTimeout =
    chain.some((e) => (e as Error).name === 'TimeoutError') || (code !== undefined && TIMEOUT_CODES.has(code));
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
