import { describeErrcode, type WeChatApi, type WeChatErrorCategory } from './errcodes.ts';

/** "invalid code, rid: 652d44d0-1d0af18b-5b069232" and the older "hints: [ req_id: VyLhYa0451hb31 ]". */
const RID = /\b(?:rid|req_id):\s*([0-9A-Za-z-]+)/;

/** The request id WeChat appends to errmsg; quote it when asking WeChat support about a failure. */
export function parseRid(errmsg: string): string | undefined {
  return RID.exec(errmsg)?.[1];
}

/**
 * WeChat answered, and said no: HTTP 200 with a non-zero `errcode`. The message names the api,
 * the appid, the errcode and its meaning; never the secret, code, token or session_key sent.
 */
export class WeChatApiError extends Error {
  override readonly name = 'WeChatApiError';
  readonly api: WeChatApi;
  readonly appid: string | undefined;
  readonly errcode: number;
  /** WeChat's text, with anything we sent that is sensitive redacted. */
  readonly errmsg: string;
  readonly rid: string | undefined;
  readonly category: WeChatErrorCategory;
  /** The documented meaning of `errcode` for this api. */
  readonly meaning: string;

  constructor(init: { api: WeChatApi; appid?: string; errcode: number; errmsg: string }) {
    const { category, meaning } = describeErrcode(init.api, init.errcode);
    const app = init.appid ? ` for appid ${init.appid}` : '';
    super(`WeChat ${init.api}${app} failed with errcode ${init.errcode} (${meaning}): ${init.errmsg}`);
    this.api = init.api;
    this.appid = init.appid;
    this.errcode = init.errcode;
    this.errmsg = init.errmsg;
    this.rid = parseRid(init.errmsg);
    this.category = category;
    this.meaning = meaning;
  }

  /** -1: transient; the client already retried where that was safe. */
  get isBusy(): boolean {
    return this.category === 'busy';
  }

  /** The user's login or phone code is no good: ask for a new one (HTTP 400/401 material). */
  get isInvalidCode(): boolean {
    return this.category === 'invalid_code';
  }

  get isCodeBlocked(): boolean {
    return this.category === 'code_blocked';
  }

  /** Per-minute limit; try again next minute. */
  get isRateLimited(): boolean {
    return this.category === 'rate_limited';
  }

  /** Daily quota gone; nothing will work until tomorrow (or a quota reset). */
  get isQuotaExceeded(): boolean {
    return this.category === 'quota_exceeded';
  }

  /** The access token was rejected; AccessTokenManager.withAccessToken refreshes once and retries. */
  get isTokenInvalid(): boolean {
    return this.category === 'token_invalid';
  }

  /** Our configuration is wrong (appid, secret, IP whitelist, permissions): page an operator. */
  get isConfigurationError(): boolean {
    return (
      this.category === 'credentials_invalid' ||
      this.category === 'ip_not_allowed' ||
      this.category === 'permission_denied' ||
      this.category === 'invalid_request'
    );
  }

  /** The session_key we hold is no longer WeChat's: the user must log in again. */
  get isSessionKeyInvalid(): boolean {
    return this.category === 'session_key_invalid';
  }
}

/** How a request failed before WeChat could give an answer we understand. */
export type WeChatTransportErrorKind =
  /** No complete answer within the timeout (connect, headers or body). */
  | 'timeout'
  /** Connection refused or reset, DNS failure, TLS failure... */
  | 'network'
  /** An HTTP status other than 200 (WeChat itself always answers 200; this is a proxy or an outage). */
  | 'http_status'
  /** 200, but not a JSON object, or a success body missing the fields the API documents. */
  | 'invalid_body';

/**
 * The request did not produce a usable WeChat answer. The message names the api, the appid and
 * what went wrong; never the URL (its query holds the secret or token) nor the body.
 */
export class WeChatTransportError extends Error {
  override readonly name = 'WeChatTransportError';
  readonly api: WeChatApi;
  readonly appid: string | undefined;
  readonly kind: WeChatTransportErrorKind;
  /** The HTTP status, for `http_status`. */
  readonly status: number | undefined;
  /** The system or undici error code (ECONNREFUSED, UND_ERR_SOCKET...), when there is one. */
  readonly code: string | undefined;
  /**
   * False only when the request certainly never reached WeChat (connection refused, DNS failure,
   * connect timeout); true when it may have been processed even though no answer came back.
   */
  readonly requestSent: boolean;

  constructor(init: {
    api: WeChatApi;
    appid?: string;
    kind: WeChatTransportErrorKind;
    detail: string;
    status?: number;
    code?: string;
    requestSent: boolean;
  }) {
    const app = init.appid ? ` for appid ${init.appid}` : '';
    super(`WeChat ${init.api}${app} failed (${init.kind}): ${init.detail}`);
    this.api = init.api;
    this.appid = init.appid;
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.requestSent = init.requestSent;
  }
}

export function isWeChatApiError(err: unknown): err is WeChatApiError {
  return err instanceof WeChatApiError;
}

export function isWeChatTransportError(err: unknown): err is WeChatTransportError {
  return err instanceof WeChatTransportError;
}
