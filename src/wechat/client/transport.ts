import { setTimeout as sleep } from 'node:timers/promises';
import type { WeChatApi } from './errcodes.ts';
import { WeChatApiError, WeChatTransportError } from './errors.ts';
import {
  classifyFetchFailure,
  type Exchange,
  type ExchangeAnswer,
  type JsonObject,
  parseJsonObject,
  timeoutDetail,
  UnfitFetchError,
} from './http.ts';
import type { WeChatLogger } from './logger.ts';
import { redact } from './redact.ts';
import { UnexpectedBodyError, type WxaCodeImage } from './responses.ts';
import { backoffDelay, type RetryMode, type RetryOptions, shouldRetry } from './retry.ts';

/** One attempt of one call, for metrics (e.g. a Prometheus counter and histogram). */
export interface WeChatCallEvent {
  api: WeChatApi;
  appid?: string;
  /** 0 on success, WeChat's errcode on `wechat_error`, null on `transport_error`. */
  errcode: number | null;
  outcome: 'ok' | 'wechat_error' | 'transport_error';
  durationMs: number;
  /** 1 for the first try. */
  attempt: number;
}

export interface CallSpec {
  api: WeChatApi;
  appid: string | undefined;
  method: 'GET' | 'POST';
  path: string;
  query: Record<string, string>;
  body?: JsonObject;
  /** Values that must never appear in an error or a log line. */
  sensitive: string[];
  retry: RetryMode;
}

export interface WeChatTransportOptions {
  /** Without a trailing slash. */
  baseUrl: string;
  timeoutMs: number;
  retry: RetryOptions;
  exchange: Exchange;
  logger: WeChatLogger;
  onCall: ((event: WeChatCallEvent) => void) | undefined;
}

/**
 * One WeChat call from request to typed outcome: the HTTP exchange with its timeout, WeChat's
 * errcode convention, redaction of what we sent, retries where the call allows them, and one
 * call event per attempt. WeChatClient says what to call; this says how.
 */
export class WeChatTransport {
  readonly #origin: string;
  /** The base URL's path, if it has one (a proxy's prefix), without a trailing slash. */
  readonly #pathPrefix: string;
  readonly #timeoutMs: number;
  readonly #retry: RetryOptions;
  readonly #exchange: Exchange;
  readonly #logger: WeChatLogger;
  readonly #onCall: ((event: WeChatCallEvent) => void) | undefined;

  constructor(options: WeChatTransportOptions) {
    const base = new URL(options.baseUrl);
    this.#origin = base.origin;
    this.#pathPrefix = base.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#retry = options.retry;
    this.#exchange = options.exchange;
    this.#logger = options.logger;
    this.#onCall = options.onCall;
  }

  async call<T>(spec: CallSpec, parse: (body: JsonObject) => T): Promise<T> {
    return this.#withRetries(spec, async () =>
      this.#parse(spec, this.#readJson(spec, await this.#send(spec, 'text')), parse),
    );
  }

  /**
   * A call WeChat answers with an image on success and with JSON on failure (getwxacodeunlimit).
   * wechat-api.md §19.1: JSON when the body starts with "{"; otherwise the bytes must be a JPEG or
   * PNG, whatever Content-Type says (a tiny non-image body is an error, not a picture).
   */
  async callForImage(spec: CallSpec): Promise<WxaCodeImage> {
    return this.#withRetries(spec, async () => {
      const bytes = await this.#send(spec, 'bytes');
      if (bytes[0] === 0x7b) {
        this.#readJson(spec, bytes.toString('utf8'));
        throw this.#failure(spec, {
          kind: 'invalid_body',
          requestSent: true,
          detail: 'JSON without an errcode, no image',
        });
      }
      const contentType = imageType(bytes);
      if (!contentType) {
        throw this.#failure(spec, {
          kind: 'invalid_body',
          requestSent: true,
          detail: 'the body is neither JSON nor an image',
        });
      }
      return { contentType, bytes };
    });
  }

  async #withRetries<T>(spec: CallSpec, attemptOnce: () => Promise<T>): Promise<T> {
    const attempts = spec.retry === 'never' ? 1 : this.#retry.attempts;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const result = await attemptOnce();
        this.#report(spec, attempt, started, null);
        return result;
      } catch (err) {
        this.#report(spec, attempt, started, err);
        if (attempt >= attempts || !shouldRetry(spec.retry, err)) throw err;
        const delayMs = backoffDelay(this.#retry, attempt);
        this.#logger.warn(
          { api: spec.api, appid: spec.appid, attempt, delayMs, ...failureFields(err) },
          'retrying WeChat call',
        );
        await sleep(delayMs);
      }
    }
  }

  #failure(spec: CallSpec, init: Omit<ConstructorParameters<typeof WeChatTransportError>[0], 'api' | 'appid'>) {
    return new WeChatTransportError({
      ...init,
      api: spec.api,
      appid: spec.appid,
      detail: redact(init.detail, spec.sensitive),
    });
  }

  /** One HTTP exchange: the body of a 200 answer, as text or bytes. */
  async #send(spec: CallSpec, read: 'text'): Promise<string>;
  async #send(spec: CallSpec, read: 'bytes'): Promise<Buffer>;
  async #send(spec: CallSpec, read: 'text' | 'bytes'): Promise<string | Buffer> {
    const query = new URLSearchParams(spec.query).toString();
    const headers: Record<string, string> = {
      accept: read === 'text' ? 'application/json' : 'image/*, application/json',
    };
    if (spec.body) headers['content-type'] = 'application/json';
    let answer: ExchangeAnswer;
    try {
      answer = await this.#exchange({
        origin: this.#origin,
        path: `${this.#pathPrefix}${spec.path}${query ? `?${query}` : ''}`,
        method: spec.method,
        headers,
        // JSON.stringify keeps CJK as raw UTF-8; WeChat's checks do not recognise \uXXXX escapes.
        ...(spec.body ? { body: JSON.stringify(spec.body) } : {}),
        timeoutMs: this.#timeoutMs,
        read,
      });
    } catch (err) {
      if (err instanceof UnfitFetchError) throw err;
      const failure = classifyFetchFailure(err);
      // Whoever reported the timeout (the exchange, a caller's fetch, undici), it reads the same.
      const detail =
        failure.kind === 'timeout'
          ? timeoutDetail(this.#timeoutMs)
          : [failure.code, failure.detail].filter(Boolean).join(': ');
      throw this.#failure(spec, { kind: failure.kind, code: failure.code, requestSent: failure.requestSent, detail });
    }
    if (answer.status !== 200) {
      throw this.#failure(spec, {
        kind: 'http_status',
        status: answer.status,
        requestSent: true,
        detail: `HTTP ${answer.status}`,
      });
    }
    return read === 'text' ? answer.body.toString('utf8') : answer.body;
  }

  /** WeChat's JSON convention: the body when WeChat said yes (no errcode, or 0); its error otherwise. */
  #readJson(spec: CallSpec, text: string): JsonObject {
    const body = parseJsonObject(text);
    if (!body)
      throw this.#failure(spec, { kind: 'invalid_body', requestSent: true, detail: 'the body is not a JSON object' });
    const errcode = readErrcode(body.errcode);
    if (errcode === undefined) {
      throw this.#failure(spec, { kind: 'invalid_body', requestSent: true, detail: 'errcode is not a number' });
    }
    if (errcode !== 0) {
      const errmsg = typeof body.errmsg === 'string' ? redact(body.errmsg, spec.sensitive) : '';
      throw new WeChatApiError({ api: spec.api, appid: spec.appid, errcode, errmsg });
    }
    return body;
  }

  #parse<T>(spec: CallSpec, body: JsonObject, parse: (body: JsonObject) => T): T {
    try {
      return parse(body);
    } catch (err) {
      if (!(err instanceof UnexpectedBodyError)) throw err;
      throw new WeChatTransportError({
        api: spec.api,
        appid: spec.appid,
        kind: 'invalid_body',
        requestSent: true,
        detail: err.message,
      });
    }
  }

  #report(spec: CallSpec, attempt: number, started: number, err: unknown): void {
    const durationMs = performance.now() - started;
    const event: WeChatCallEvent = {
      api: spec.api,
      errcode: err === null ? 0 : err instanceof WeChatApiError ? err.errcode : null,
      outcome: err === null ? 'ok' : err instanceof WeChatApiError ? 'wechat_error' : 'transport_error',
      durationMs,
      attempt,
    };
    if (spec.appid !== undefined) event.appid = spec.appid;
    this.#logger.debug({ ...event, ...failureFields(err) }, 'WeChat call');
    if (!this.#onCall) return;
    try {
      this.#onCall(event);
    } catch (hookErr) {
      this.#logger.warn({ api: spec.api, hookError: String(hookErr) }, 'onCall hook threw');
    }
  }
}

/** errcode absent means success on the token and jscode2session endpoints; "0" strings are tolerated. */
function readErrcode(value: unknown): number | undefined {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

/** The image type by its magic bytes (JPEG FF D8 FF, PNG 89 50 4E 47), or undefined. */
function imageType(bytes: Buffer): WxaCodeImage['contentType'] | undefined {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length > 8 && bytes.readUInt32BE(0) === 0x89504e47) return 'image/png';
  return undefined;
}

/** Log fields describing a failure: codes and kinds, never messages that might quote a request. */
function failureFields(err: unknown): Record<string, unknown> {
  if (err instanceof WeChatApiError) return { errcode: err.errcode, rid: err.rid, category: err.category };
  if (err instanceof WeChatTransportError) return { kind: err.kind, status: err.status, code: err.code };
  return {};
}
