import type { LanguageOption } from './language.ts';
import type { PromptWording } from './permission.ts';
import type { RetryOptions } from './retry.ts';
import type { WxApi } from './wx-api.ts';

export interface AuthOptions {
  /** Where weapp-auth runs, e.g. "https://auth.example.com"; it must be in the app's request domains. */
  baseUrl: string;
  /**
   * The mini program's appid. Default: wx.getAccountInfoSync(). Sent with the login (for servers
   * hosting several mini programs) and part of the storage keys.
   */
  appid?: string;
  /** A wx-shaped object: the mini program's `wx` (the default), Taro, uni, or the stand-in. */
  wx?: WxApi;
  /** Wording of the modal that asks the user to turn an authorization back on. */
  prompts?: { userInfo?: Partial<PromptWording> };
  /** Timeout of each call to the server, ms (wx.request's own default is 60 000). */
  timeoutMs?: number;
  /** The multipart field of avatar uploads: the server's AVATAR_FIELD (default "file"). */
  avatarField?: string;
  /**
   * Retries of what a retry can mend (a 503, no answer): login() up to 5 attempts, each with a
   * fresh wx.login code; request() once for repeatable methods. Waits: random below 200 ms, 400 ms,
   * 800 ms… (full jitter), Retry-After honoured, each at most 3 000 ms. `false`: no retries.
   */
  retry?: RetryOptions | false;
  /**
   * The Accept-Language of every request, so the server's error messages are in the user's
   * language. Default: the mini program's (wx.getAppBaseInfo().language, "zh_CN" → "zh-CN"). A
   * string sets it, a function is asked before each request, `false` sends none.
   */
  language?: LanguageOption;
}

export interface LoginOptions {
  /** The getPhoneNumber button's `e.detail.code`: signs up with the phone number in the same call. */
  phoneCode?: string;
}

export interface UserInfoOptions {
  /** Language of the place names in the profile. */
  lang?: 'en' | 'zh_CN' | 'zh_TW';
  /** This call's wording of the "open settings" modal. */
  prompt?: Partial<PromptWording>;
}

export interface UserProfileOptions {
  /** Why the profile is wanted, shown in WeChat's dialog (1-30 characters). */
  desc: string;
  lang?: 'en' | 'zh_CN' | 'zh_TW';
}
