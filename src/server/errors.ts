import { QR_LOGIN_ERRORS } from './qr-login/errors.ts';

/**
 * Every error code the HTTP API can answer, with its status and a default message a developer can
 * act on. One catalogue, so the README's error table can be tested against it.
 */
export const API_ERRORS = {
  INVALID_REQUEST: { status: 400, message: 'The request does not match the route schema.' },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON.' },
  UNKNOWN_APP: { status: 400, message: 'This appid is not configured on the server (WEAPP_APPS).' },
  INVALID_CODE: {
    status: 400,
    message:
      'WeChat rejected the login code (invalid, expired after 5 minutes, or from another appid). Call wx.login again.',
  },
  CODE_USED: { status: 409, message: 'This login code was already used; a code works once. Call wx.login again.' },
  CODE_BLOCKED: { status: 403, message: 'WeChat blocked this login: the user is marked high-risk.' },
  INVALID_IV: { status: 400, message: 'iv is not the base64 of 16 bytes.' },
  MALFORMED_CIPHERTEXT: { status: 400, message: 'encryptedData is not valid base64 of whole AES blocks.' },
  DECRYPT_FAILED: { status: 400, message: 'encryptedData does not decrypt with the session_key.' },
  INVALID_PLAINTEXT: { status: 400, message: 'The decrypted data is not an open-data object.' },
  WATERMARK_MISMATCH: { status: 400, message: 'The data was produced for another mini program.' },
  DATA_EXPIRED: { status: 400, message: 'The data is too old; collect it again.' },
  SIGNATURE_MISMATCH: { status: 400, message: 'signature does not match sha1(rawData + session_key).' },
  SESSION_KEY_STALE: {
    status: 400,
    message:
      'No session_key this server holds decrypts the data: it was produced before the latest wx.login. ' +
      'Log in again (wx.login → /v1/login), then collect the data again without calling wx.login in between.',
  },
  UNAUTHORIZED: { status: 401, message: 'Send the access token as "Authorization: Bearer <token>".' },
  TOKEN_INVALID: { status: 401, message: 'The access token is malformed or not signed by this server.' },
  TOKEN_EXPIRED: { status: 401, message: 'The access token expired; call /v1/token/refresh.' },
  SESSION_REVOKED: { status: 401, message: 'This session was ended (logout or token reuse); log in again.' },
  REFRESH_TOKEN_INVALID: { status: 401, message: 'The refresh token is unknown or expired; log in again.' },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    message: 'This refresh token was already used; the session was ended to protect the account. Log in again.',
  },
  UNIONID_CONFLICT: {
    status: 409,
    message: 'This WeChat account is linked to another user; an operator must resolve it.',
  },
  INVALID_NICKNAME: {
    status: 400,
    message: 'The nickname is empty, too long, holds control characters, or is WeChat\'s placeholder "微信用户".',
  },
  CONTENT_RISKY: { status: 422, message: "WeChat's content check refused this text; ask the user for another." },
  CONTENT_CHECK_UNAVAILABLE: {
    status: 503,
    message: "WeChat's content check could not be reached and CONTENT_CHECK_FAILURE is closed; retry shortly.",
  },
  IMAGE_TOO_LARGE: { status: 413, message: 'The image is larger than this server accepts (AVATAR_MAX_BYTES).' },
  UNSUPPORTED_IMAGE_TYPE: {
    status: 415,
    message: 'The upload is not a PNG, JPEG, WebP or GIF image (judged by its content, not its name or type).',
  },
  INVALID_PHONE_CODE: {
    status: 400,
    message:
      'WeChat refused the phone code (expired after 5 minutes, already used, or issued to another user or mini program). ' +
      'Ask the user to tap the phone button again.',
  },
  NOT_FOUND: { status: 404, message: 'No such route or file.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This route does not accept this method; Allow lists the ones it does.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time; send it again.' },
  PRECONDITION_FAILED: {
    status: 412,
    message: 'The file does not match If-Match or If-Unmodified-Since; fetch it again without them.',
  },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than this route accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json.' },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    message: 'The Range starts beyond the end of the file; Content-Range gives its size.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: 'The request headers are larger than this server accepts (16 KB in all); send fewer or shorter ones.',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests from this client; retry later.' },
  WECHAT_RATE_LIMITED: { status: 429, message: 'WeChat rate-limited this call; retry in a minute.' },
  WECHAT_UNAVAILABLE: { status: 503, message: 'WeChat is busy or unreachable; retry shortly.' },
  WECHAT_CONFIG_ERROR: {
    status: 502,
    message: 'WeChat refused the server credentials (appid, secret or IP whitelist); the operator must fix them.',
  },
  MEDIA_UNAVAILABLE: {
    status: 503,
    message:
      'The avatar storage did not take the file; retry shortly. If it lasts, the operator must check MEDIA_STORE.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: 'The database did not answer in time; retry shortly (the server reconnects by itself).',
  },
  CACHE_UNAVAILABLE: {
    status: 503,
    message: 'Redis did not answer in time and this request cannot be served safely without it; retry shortly.',
  },
  SHUTTING_DOWN: {
    status: 503,
    message: 'This instance is shutting down; retry (the load balancer sends you to another).',
  },
  WECHAT_ERROR: { status: 502, message: 'WeChat answered with an unexpected error.' },
  INTERNAL: { status: 500, message: 'Internal error; it has been logged.' },
  ...QR_LOGIN_ERRORS,
} as const satisfies Record<string, { status: number; message: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** An error we answer with on purpose: `expose` is true, so its message reaches the client. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ApiErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? API_ERRORS[code].message);
    this.code = code;
    this.status = API_ERRORS[code].status;
    this.details = details;
  }
}

/** The one JSON shape of every error answer. */
export interface ErrorBody {
  code: ApiErrorCode;
  message: string;
  details?: Record<string, unknown>;
}
