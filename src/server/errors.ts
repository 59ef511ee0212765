import type { Language, Localized } from '../i18n/index.ts';
import { SIGNUP_RISK_ERRORS } from './login/signup-risk-errors.ts';
import { QR_LOGIN_ERRORS } from './qr-login/errors.ts';

/**
 * Every error code the HTTP API can answer, with its status and a default message a developer can
 * act on, in English (`message`) and Chinese (`zh`, answered when Accept-Language prefers it). One
 * catalogue, so the README's error table can be tested against it.
 */
export const API_ERRORS = {
  INVALID_REQUEST: {
    status: 400,
    message: 'The request does not match the route schema.',
    zh: '请求与接口的格式要求不符。',
  },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON.', zh: '请求体不是合法的 JSON。' },
  UNKNOWN_APP: {
    status: 400,
    message: 'This appid is not configured on the server (WEAPP_APPS).',
    zh: '服务器未配置这个 appid（见 WEAPP_APPS）。',
  },
  INVALID_CODE: {
    status: 400,
    message:
      'WeChat rejected the login code (invalid, expired after 5 minutes, or from another appid). Call wx.login again.',
    zh: '微信拒绝了这个登录 code（无效、已超过 5 分钟有效期，或属于另一个 appid）。请重新调用 wx.login。',
  },
  CODE_USED: {
    status: 409,
    message: 'This login code was already used; a code works once. Call wx.login again.',
    zh: '这个登录 code 已被使用过，每个 code 只能用一次。请重新调用 wx.login。',
  },
  CODE_BLOCKED: {
    status: 403,
    message: 'WeChat blocked this login: the user is marked high-risk.',
    zh: '微信拦截了这次登录：该用户被标记为高风险。',
  },
  INVALID_IV: { status: 400, message: 'iv is not the base64 of 16 bytes.', zh: 'iv 不是 16 字节数据的 base64 编码。' },
  MALFORMED_CIPHERTEXT: {
    status: 400,
    message: 'encryptedData is not valid base64 of whole AES blocks.',
    zh: 'encryptedData 不是合法的 base64，或解码后不是完整的 AES 分组。',
  },
  DECRYPT_FAILED: {
    status: 400,
    message: 'encryptedData does not decrypt with the session_key.',
    zh:
      '无法用 session_key 解密 encryptedData。常见原因：数据生成后又调用了 wx.login，微信更换了 session_key。' +
      '获取数据前先调用 wx.checkSession（失败时才调用 wx.login），然后重新获取数据。',
  },
  INVALID_PLAINTEXT: {
    status: 400,
    message: 'The decrypted data is not an open-data object.',
    zh: '解密后的数据不是开放数据对象。',
  },
  WATERMARK_MISMATCH: {
    status: 400,
    message: 'The data was produced for another mini program.',
    zh: '这份数据是为另一个小程序生成的。',
  },
  DATA_EXPIRED: { status: 400, message: 'The data is too old; collect it again.', zh: '数据已过期，请重新获取。' },
  SIGNATURE_MISMATCH: {
    status: 400,
    message: 'signature does not match sha1(rawData + session_key).',
    zh: 'signature 与 sha1(rawData + session_key) 不一致。',
  },
  SESSION_KEY_STALE: {
    status: 400,
    message:
      'No session_key this server holds decrypts the data: it was produced before the latest wx.login. ' +
      'Log in again (wx.login → /v1/login), then collect the data again without calling wx.login in between.',
    zh:
      '服务器保存的 session_key 都无法解密这份数据：它是在最近一次 wx.login 之前生成的。' +
      '请重新登录（wx.login → /v1/login），然后重新获取数据，中间不要再调用 wx.login。',
  },
  UNAUTHORIZED: {
    status: 401,
    message: 'Send the access token as "Authorization: Bearer <token>".',
    zh: '请以 "Authorization: Bearer <token>" 的形式发送访问令牌（access token）。',
  },
  TOKEN_INVALID: {
    status: 401,
    message: 'The access token is malformed or not signed by this server.',
    zh: '访问令牌格式错误，或不是本服务器签发的。',
  },
  TOKEN_EXPIRED: {
    status: 401,
    message: 'The access token expired; call /v1/token/refresh.',
    zh: '访问令牌已过期，请调用 /v1/token/refresh。',
  },
  SESSION_REVOKED: {
    status: 401,
    message: 'This session was ended (logout or token reuse); log in again.',
    zh: '这个会话已结束（已退出登录或令牌被重复使用），请重新登录。',
  },
  REFRESH_TOKEN_INVALID: {
    status: 401,
    message: 'The refresh token is unknown or expired; log in again.',
    zh: '刷新令牌无效或已过期，请重新登录。',
  },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    message: 'This refresh token was already used; the session was ended to protect the account. Log in again.',
    zh: '这个刷新令牌已被使用过；为保护账号，会话已被终止。请重新登录。',
  },
  UNIONID_CONFLICT: {
    status: 409,
    message: 'This WeChat account is linked to another user; an operator must resolve it.',
    zh: '这个微信账号已关联到另一个用户，需要运维人员处理。',
  },
  INVALID_NICKNAME: {
    status: 400,
    message: 'The nickname is empty, too long, holds control characters, or is WeChat\'s placeholder "微信用户".',
    zh: '昵称为空、过长、含有控制字符，或是微信的占位昵称“微信用户”。',
  },
  CONTENT_RISKY: {
    status: 422,
    message: "WeChat's content check refused this text; ask the user for another.",
    zh: '微信内容安全检测未通过这段文字，请让用户换一个。',
  },
  CONTENT_CHECK_UNAVAILABLE: {
    status: 503,
    message: "WeChat's content check could not be reached and CONTENT_CHECK_FAILURE is closed; retry shortly.",
    zh: '无法连接微信内容安全检测，且 CONTENT_CHECK_FAILURE 设为 closed；请稍后重试。',
  },
  IMAGE_TOO_LARGE: {
    status: 413,
    message: 'The image is larger than this server accepts (AVATAR_MAX_BYTES).',
    zh: '图片超过了服务器允许的大小（AVATAR_MAX_BYTES）。',
  },
  UNSUPPORTED_IMAGE_TYPE: {
    status: 415,
    message: 'The upload is not a PNG, JPEG, WebP or GIF image (judged by its content, not its name or type).',
    zh: '上传的文件不是 PNG、JPEG、WebP 或 GIF 图片（按文件内容判断，而不是文件名或声明的类型）。',
  },
  INVALID_PHONE_CODE: {
    status: 400,
    message:
      'WeChat refused the phone code (expired after 5 minutes, already used, or issued to another user or mini program). ' +
      'Ask the user to tap the phone button again.',
    zh: '微信拒绝了手机号 code（已超过 5 分钟有效期、已被使用，或属于另一个用户或小程序）。请让用户重新点击手机号按钮。',
  },
  NOT_FOUND: { status: 404, message: 'No such route or file.', zh: '没有这个接口或文件。' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    message: 'This route does not accept this method; Allow lists the ones it does.',
    zh: '这个接口不接受该请求方法；响应头 Allow 列出了它接受的方法。',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request did not arrive in time; send it again.',
    zh: '请求未能及时到达，请重新发送。',
  },
  PRECONDITION_FAILED: {
    status: 412,
    message: 'The file does not match If-Match or If-Unmodified-Since; fetch it again without them.',
    zh: '文件与 If-Match 或 If-Unmodified-Since 不符；请去掉这些请求头重新获取。',
  },
  BODY_TOO_LARGE: {
    status: 413,
    message: 'The request body is larger than this route accepts.',
    zh: '请求体超过了这个接口允许的大小。',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Send the body as application/json.',
    zh: '请以 application/json 发送请求体。',
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    message: 'The Range starts beyond the end of the file; Content-Range gives its size.',
    zh: 'Range 的起点超出了文件末尾；Content-Range 给出了文件大小。',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: 'The request headers are larger than this server accepts (16 KB in all); send fewer or shorter ones.',
    zh: '请求头超过了服务器允许的大小（合计 16 KB）；请减少或缩短请求头。',
  },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests from this client; retry later.',
    zh: '这个客户端的请求过多，请稍后重试。',
  },
  WECHAT_RATE_LIMITED: {
    status: 429,
    message: 'WeChat rate-limited this call; retry in a minute.',
    zh: '微信对这个调用限流了，请一分钟后重试。',
  },
  WECHAT_UNAVAILABLE: {
    status: 503,
    message: 'WeChat is busy or unreachable; retry shortly.',
    zh: '微信繁忙或无法连接，请稍后重试。',
  },
  WECHAT_CONFIG_ERROR: {
    status: 502,
    message: 'WeChat refused the server credentials (appid, secret or IP whitelist); the operator must fix them.',
    zh: '微信拒绝了服务器的凭据（appid、secret 或 IP 白名单），需要运维人员修正。',
  },
  MEDIA_UNAVAILABLE: {
    status: 503,
    message:
      'The avatar storage did not take the file; retry shortly. If it lasts, the operator must check MEDIA_STORE.',
    zh: '头像存储没有接收这个文件，请稍后重试。如果持续出现，需要运维人员检查 MEDIA_STORE。',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: 'The database did not answer in time; retry shortly (the server reconnects by itself).',
    zh: '数据库未能及时响应，请稍后重试（服务器会自动重连）。',
  },
  CACHE_UNAVAILABLE: {
    status: 503,
    message: 'Redis did not answer in time and this request cannot be served safely without it; retry shortly.',
    zh: 'Redis 未能及时响应，没有它无法安全地处理这个请求，请稍后重试。',
  },
  SHUTTING_DOWN: {
    status: 503,
    message: 'This instance is shutting down; retry (the load balancer sends you to another).',
    zh: '这个实例正在关闭，请重试（负载均衡会把请求转到其他实例）。',
  },
  WECHAT_ERROR: {
    status: 502,
    message: 'WeChat answered with an unexpected error.',
    zh: '微信返回了意料之外的错误。',
  },
  INTERNAL: { status: 500, message: 'Internal error; it has been logged.', zh: '服务器内部错误，已记录日志。' },
  ...QR_LOGIN_ERRORS,
  ...SIGNUP_RISK_ERRORS,
} as const satisfies Record<string, { status: number; message: string; zh: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/**
 * A message for one answer: English only (the Chinese answer then gives the catalogue's message of
 * the code), or both languages when the text carries particulars worth reading in Chinese too.
 */
export type ApiErrorMessage = string | Localized;

/** An error we answer with on purpose: `expose` is true, so its message reaches the client. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** The message in Chinese; `message` is the English one (logs are English). */
  readonly zh: string;

  constructor(code: ApiErrorCode, message?: ApiErrorMessage, details?: Record<string, unknown>) {
    const entry = API_ERRORS[code];
    super(message === undefined ? entry.message : typeof message === 'string' ? message : message.en);
    this.code = code;
    this.status = entry.status;
    this.details = details;
    this.zh = message === undefined || typeof message === 'string' ? entry.zh : message.zh;
  }

  /** The message in the language the client prefers. */
  messageIn(language: Language): string {
    return language === 'zh' ? this.zh : this.message;
  }
}

/** The one JSON shape of every error answer. */
export interface ErrorBody {
  code: ApiErrorCode;
  message: string;
  details?: Record<string, unknown>;
}
