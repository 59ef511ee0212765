/** Every code our server answers with (README "Errors"); a test keeps this list in step. */
export const SERVER_ERROR_CODES = [
  'INVALID_REQUEST',
  'INVALID_JSON',
  'UNKNOWN_APP',
  'INVALID_CODE',
  'CODE_USED',
  'CODE_BLOCKED',
  'INVALID_IV',
  'MALFORMED_CIPHERTEXT',
  'DECRYPT_FAILED',
  'INVALID_PLAINTEXT',
  'WATERMARK_MISMATCH',
  'DATA_EXPIRED',
  'SIGNATURE_MISMATCH',
  'SESSION_KEY_STALE',
  'UNAUTHORIZED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'SESSION_REVOKED',
  'REFRESH_TOKEN_INVALID',
  'REFRESH_TOKEN_REUSED',
  'UNIONID_CONFLICT',
  'SIGNUP_RISK_REFUSED',
  'SIGNUP_RISK_UNAVAILABLE',
  'INVALID_NICKNAME',
  'CONTENT_RISKY',
  'CONTENT_CHECK_UNAVAILABLE',
  'IMAGE_TOO_LARGE',
  'UNSUPPORTED_IMAGE_TYPE',
  'INVALID_PHONE_CODE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'PRECONDITION_FAILED',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RANGE_NOT_SATISFIABLE',
  'HEADERS_TOO_LARGE',
  'RATE_LIMITED',
  'WECHAT_RATE_LIMITED',
  'WECHAT_UNAVAILABLE',
  'WECHAT_CONFIG_ERROR',
  'DATABASE_UNAVAILABLE',
  'CACHE_UNAVAILABLE',
  'SHUTTING_DOWN',
  'MEDIA_UNAVAILABLE',
  'UNKNOWN_WEB_CLIENT',
  'ORIGIN_NOT_ALLOWED',
  'APP_TOKEN_REQUIRED',
  'QR_LOGIN_NOT_FOUND',
  'QR_LOGIN_SECRET_MISMATCH',
  'QR_LOGIN_EXPIRED',
  'QR_LOGIN_SCANNED_BY_OTHER',
  'QR_LOGIN_NOT_SCANNED',
  'QR_LOGIN_FINISHED',
  'QR_LOGIN_BUSY',
  'QR_LOGIN_PAGE_INVALID',
  'WECHAT_ERROR',
  'INTERNAL',
] as const;

export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/**
 * Failures that happen on the phone rather than on the server:
 * - `WX_API_FAILED`: a wx.* call failed; `errMsg` is WeChat's text ("login:fail …").
 * - `NETWORK_ERROR`: wx.request or wx.uploadFile never got an answer ("request:fail …": offline,
 *   timeout, domain not in the mini program's list).
 * - `AUTH_DENIED`: the user refused the authorization and did not turn it on in the settings.
 * - `PHONE_DENIED`: the user refused to share the phone number at the getPhoneNumber button.
 * - `HTTP_ERROR`: a non-2xx answer without our `{code, message}` body (another backend, a proxy).
 * - `PRIVACY_NOT_AUTHORIZED`: the user has not agreed to the app's privacy guide, or refused it
 *   (errno 104, also 103: "…:fail privacy permission is not authorized").
 * - `PRIVACY_API_UNDECLARED`: the app's privacy guide does not declare what the API collects
 *   (errno 112: "…:fail api scope is not declared in the privacy agreement"); fix it in the MP admin.
 * - `PHONE_QUOTA_EXHAUSTED`: the app's paid phone-number quota is spent (errno 1400001).
 */
export type ClientErrorCode =
  | 'WX_API_FAILED'
  | 'NETWORK_ERROR'
  | 'AUTH_DENIED'
  | 'PHONE_DENIED'
  | 'HTTP_ERROR'
  | 'PRIVACY_NOT_AUTHORIZED'
  | 'PRIVACY_API_UNDECLARED'
  | 'PHONE_QUOTA_EXHAUSTED';

/**
 * The code of a failed wx call or button, by `errno` when the base library gives one, else by the
 * errMsg WeChat documents (older base libraries, and variants seen in the field).
 */
export function wxFailureCode(errMsg: string, errno: number | undefined): ClientErrorCode {
  if (errno === 112 || /not declared in the privacy agreement/.test(errMsg)) return 'PRIVACY_API_UNDECLARED';
  if (errno === 104 || errno === 103 || /privacy permission is not authorized/.test(errMsg)) {
    return 'PRIVACY_NOT_AUTHORIZED';
  }
  if (errno === 1400001) return 'PHONE_QUOTA_EXHAUSTED';
  return 'WX_API_FAILED';
}

/** A server code, a client code, or the code of another backend that answers `{code, message}`. */
export type AuthErrorCode = ServerErrorCode | ClientErrorCode | (string & {});

export interface AuthErrorInit {
  statusCode?: number;
  details?: Record<string, unknown>;
  errMsg?: string;
  retryAfterMs?: number;
}

/** What every SDK promise rejects with: a stable `code` to switch on, and what the server said. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  /** The HTTP status, when the server answered. */
  readonly statusCode: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  /** WeChat's errMsg, when a wx.* call failed. */
  readonly errMsg: string | undefined;
  /** The answer's Retry-After, ms: how long the server asked to wait before trying again. */
  readonly retryAfterMs: number | undefined;

  constructor(code: AuthErrorCode, message: string, init: AuthErrorInit = {}) {
    super(message);
    this.code = code;
    this.statusCode = init.statusCode;
    this.details = init.details;
    this.errMsg = init.errMsg;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}

/** A refusal by the user, as the legacy authorization dialog reports it ("…:fail auth deny"). */
export function isAuthDeny(err: unknown): boolean {
  return isAuthError(err) && /:fail (auth den|scope unauthorized)/.test(err.errMsg ?? '');
}
