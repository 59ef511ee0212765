/** The WeChat server APIs this client calls, as named in error messages, logs and metrics. */
export type WeChatApi =
  | 'code2Session'
  | 'getAccessToken'
  | 'getStableAccessToken'
  | 'getPhoneNumber'
  | 'checkSessionKey'
  | 'resetUserSessionKey'
  | 'msgSecCheck'
  | 'mediaCheckAsync'
  | 'getUserRiskRank'
  | 'getUnlimitedQRCode';

/**
 * What an errcode means for the caller, as a closed union so the server can `switch` on it to pick
 * an HTTP status. Compare on this (or on `errcode`), never on `errmsg`.
 */
export type WeChatErrorCategory =
  /** -1: WeChat is busy; safe to try again later. */
  | 'busy'
  /** The login or phone code is invalid, expired, already used or from another app: ask the user again. */
  | 'invalid_code'
  /** WeChat refused to log in a high-risk user. */
  | 'code_blocked'
  /** Per-minute limit: slow down and retry next minute. */
  | 'rate_limited'
  /** Daily quota exhausted: retrying today will not help. */
  | 'quota_exceeded'
  /** The access token was rejected (superseded, expired, malformed): refresh it once and retry. */
  | 'token_invalid'
  /** Our appid or secret is wrong or frozen: a configuration problem, not the user's. */
  | 'credentials_invalid'
  /** Our server's IP is not whitelisted (or awaits admin confirmation) for the token API. */
  | 'ip_not_allowed'
  /** The app lacks permission for this API, or the account or API is frozen or forbidden. */
  | 'permission_denied'
  /** The openid is malformed or belongs to another app. */
  | 'invalid_openid'
  /** The session_key we signed with is stale or gone: the user must log in again. */
  | 'session_key_invalid'
  /** msgSecCheck, getUserRiskRank: the user has not opened the mini program in the last 2 hours. */
  | 'user_inactive'
  /** WeChat says the request itself is malformed: a bug on our side. */
  | 'invalid_request'
  /** An errcode this table does not know. */
  | 'unknown';

export interface ErrcodeInfo {
  readonly category: WeChatErrorCategory;
  readonly meaning: string;
}

const info = (category: WeChatErrorCategory, meaning: string): ErrcodeInfo => ({ category, meaning });

/** Meanings shared by every API (wechat-api.md §0 and each API's documented table). */
const GENERAL: ReadonlyMap<number, ErrcodeInfo> = new Map([
  [-1, info('busy', 'system busy, retry later')],
  [40001, info('token_invalid', 'access_token is invalid or not the latest')],
  [40002, info('invalid_request', 'invalid grant_type')],
  [40003, info('invalid_openid', 'invalid openid')],
  [40004, info('invalid_request', 'invalid media type')],
  [40013, info('credentials_invalid', 'invalid appid')],
  [40014, info('token_invalid', 'malformed access_token')],
  [40029, info('invalid_code', 'invalid code (expired, already used or issued to another app)')],
  [40097, info('invalid_request', 'invalid arguments')],
  [40125, info('credentials_invalid', 'invalid appsecret')],
  [40129, info('invalid_request', 'invalid scene')],
  [40163, info('invalid_code', 'code already used')],
  [40164, info('ip_not_allowed', 'caller IP is not in the whitelist')],
  [40226, info('code_blocked', 'high-risk user, login blocked')],
  [40243, info('credentials_invalid', 'appsecret frozen')],
  [41001, info('invalid_request', 'access_token missing')],
  [41002, info('invalid_request', 'appid missing')],
  [41004, info('invalid_request', 'appsecret missing')],
  [41008, info('invalid_code', 'code missing')],
  [42001, info('token_invalid', 'access_token expired')],
  [43002, info('invalid_request', 'POST method required')],
  [43104, info('invalid_openid', 'openid does not belong to this appid')],
  [44002, info('invalid_request', 'empty POST data')],
  [44991, info('rate_limited', 'per-minute limit reached')],
  [45009, info('quota_exceeded', 'daily API quota reached')],
  [45011, info('rate_limited', 'per-minute limit reached, retry next minute')],
  [47001, info('invalid_request', 'data format error (body is not the expected JSON)')],
  [48001, info('permission_denied', 'API not authorized for this app')],
  [50004, info('permission_denied', 'use of the token API is forbidden')],
  [50007, info('permission_denied', 'account frozen')],
  [61010, info('user_inactive', 'user has not visited the mini program in the last 2 hours')],
  [61024, info('permission_denied', 'third-party platform apps must use the component token')],
  [87007, info('session_key_invalid', 'session_key does not exist or has expired')],
  [87008, info('invalid_request', 'invalid sig_method')],
  [87009, info('session_key_invalid', 'invalid signature: the session_key is stale or wrong')],
  [87020, info('rate_limited', 'the same media was submitted too often (media_check_async)')],
  [89501, info('ip_not_allowed', 'caller IP awaits admin confirmation')],
  [89503, info('ip_not_allowed', 'caller IP needs admin confirmation')],
  [89506, info('ip_not_allowed', 'caller IP rejected twice by the admin, blocked for 24 hours')],
  [89507, info('ip_not_allowed', 'caller IP rejected by the admin, blocked for 1 hour')],
  [400081, info('permission_denied', 'no permission for phone numbers')],
  [9410009, info('quota_exceeded', 'getuserriskrank test-call quota reached')],
]);

/** The same errcode means something else on some APIs; these win over GENERAL. */
const TOKEN_ENDPOINT: ReadonlyMap<number, ErrcodeInfo> = new Map([
  // At the token endpoints there is no access token yet: 40001 is WeChat's word for a wrong secret.
  [40001, info('credentials_invalid', 'appsecret is wrong or belongs to another app')],
]);

const BY_API: Partial<Record<WeChatApi, ReadonlyMap<number, ErrcodeInfo>>> = {
  getAccessToken: TOKEN_ENDPOINT,
  getStableAccessToken: TOKEN_ENDPOINT,
  getPhoneNumber: new Map([
    // The phone code was produced by another mini program: the code is what is wrong, not our appid.
    [40013, info('invalid_code', 'the phone code was issued to another mini program')],
    [40029, info('invalid_code', 'invalid phone code (expired, already used or unknown)')],
  ]),
  // wechat-api.md §19.1: the errmsg of 45009 says "daily", but the limit is 5 000 codes a minute.
  getUnlimitedQRCode: new Map([
    [45009, info('rate_limited', 'per-minute limit of 5 000 mini-program codes reached; retry next minute')],
    [41030, info('invalid_request', 'page is not in the published version (or has a leading "/" or a query)')],
    [40169, info('invalid_request', 'scene is empty or longer than 32 characters, or the body is not JSON')],
    [40129, info('invalid_request', 'scene holds a character WeChat does not allow')],
    [85096, info('invalid_request', 'page must not hold scancode_time')],
  ]),
};

/** What `errcode` means when `api` answers it. Unknown codes get category `unknown`. */
export function describeErrcode(api: WeChatApi, errcode: number): ErrcodeInfo {
  return BY_API[api]?.get(errcode) ?? GENERAL.get(errcode) ?? info('unknown', 'undocumented errcode');
}
