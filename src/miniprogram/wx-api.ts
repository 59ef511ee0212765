/// <reference types="miniprogram-api-typings" preserve="true" />

/**
 * The part of `wx` the SDK calls. Taro's `Taro` and uni-app's `uni` offer the same methods with
 * the same callbacks; so does the stand-in under ./stand-in for Node and the browser.
 */
export type WxApi = Pick<
  WechatMiniprogram.Wx,
  | 'login'
  | 'checkSession'
  | 'request'
  | 'uploadFile'
  | 'getStorageSync'
  | 'setStorageSync'
  | 'removeStorageSync'
  | 'getSetting'
  | 'openSetting'
  | 'showModal'
  | 'getUserInfo'
  | 'getUserProfile'
> &
  Partial<Pick<WechatMiniprogram.Wx, 'getAccountInfoSync'>>;

/** The `wx` of the mini program, when the SDK runs inside one. */
export function globalWx(): WxApi | undefined {
  // A bare `wx` global, not globalThis.wx: older iOS runtimes of WeChat have no globalThis.
  return typeof wx === 'undefined' ? undefined : wx;
}

/** The appid of the mini program `wx` belongs to, when it says (not outside WeChat). */
export function accountAppid(wx: WxApi): string | undefined {
  try {
    return wx.getAccountInfoSync?.().miniProgram.appId || undefined;
  } catch {
    return undefined;
  }
}
