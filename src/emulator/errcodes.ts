/**
 * The errcodes the emulator answers, with WeChat's own errmsg text (wechat-api.md §0-§7).
 * Handlers throw a WxError; one place (wechat/route.ts) turns it into the body WeChat would send.
 */
export const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40004: 'invalid media type',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40066: 'invalid url',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40129: 'invalid scene',
  40163: 'code been used',
  40164: 'invalid ip, not in whitelist',
  40169: 'invalid length for scene, or the data is not json string',
  40226: 'code blocked',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41030: 'invalid page',
  42001: 'access_token expired',
  43002: 'require POST method',
  43104: 'appid and openid not match',
  44002: 'empty post data',
  44991: 'exceed url frequency limit',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  47001: 'data format error',
  48001: 'api unauthorized',
  61010: 'code is expired',
  85096: 'not allow include scancode_time field',
  87007: 'session_key is not existd or expired',
  87008: 'invalid sig_method',
  87009: 'invalid signature',
  87014: 'risky content',
  9410009: 'test quota reached',
};

/** A business error as WeChat answers it: HTTP 200, `{errcode, errmsg}`. */
export class WxError extends Error {
  override readonly name = 'WxError';
  readonly errcode: number;

  constructor(errcode: number, errmsg: string = ERRMSG[errcode] ?? 'emulated error') {
    super(errmsg);
    this.errcode = errcode;
  }
}
