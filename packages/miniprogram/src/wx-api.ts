/**
 * The part of `wx` the SDK calls, declared here rather than borrowed from miniprogram-api-typings
 * so the package's declarations compile with nothing else installed. Methods, not function
 * properties: WeChat's `wx` (typed by miniprogram-api-typings), Taro's `Taro` and uni-app's `uni`
 * declare richer options and results, and a method type accepts them as they are.
 */

/** What a failed wx call hands to `fail`: "<api>:fail <reason>", and on newer base libraries an errno. */
export interface WxFailResult {
  errMsg: string;
  errno?: number;
}

/** WeChat's callback convention: every async API takes `success` and `fail` (and may return a promise). */
export interface WxCallbacks<R> {
  success?(result: R): void;
  fail?(err: WxFailResult): void;
}

export type HttpMethod = 'OPTIONS' | 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'TRACE' | 'CONNECT';

export interface WxRequestOptions extends WxCallbacks<WxRequestResult> {
  url: string;
  method?: HttpMethod;
  data?: string | Record<string, unknown> | ArrayBuffer;
  header?: Record<string, string>;
  timeout?: number;
  dataType?: 'json' | 'text';
  responseType?: 'text' | 'arraybuffer';
}

export interface WxRequestResult {
  data: unknown;
  statusCode: number;
  header?: Record<string, unknown>;
}

export interface WxUploadFileOptions extends WxCallbacks<WxUploadFileResult> {
  url: string;
  filePath: string;
  name: string;
  header?: Record<string, string>;
  timeout?: number;
}

export interface WxUploadFileResult {
  data: unknown;
  statusCode: number;
}

/**
 * `authSetting`: scope → whether the user allowed it; absent when never asked. `object`, because
 * the typings of WeChat, Taro and uni declare it as an interface of known scopes.
 */
export type WxAuthSetting = object;

/** The languages of place names in a profile. */
export type WxLang = 'en' | 'zh_CN' | 'zh_TW';

/** What wx.getUserInfo and wx.getUserProfile give: the profile sealed with the session_key. */
export interface WxUserInfoResult {
  encryptedData: string;
  iv: string;
  rawData: string;
  signature: string;
}

export interface WxModalOptions extends WxCallbacks<{ confirm: boolean; cancel?: boolean }> {
  title?: string;
  content?: string;
  showCancel?: boolean;
  confirmText?: string;
  cancelText?: string;
}

/** wx.getPrivacySetting's answer (base library 2.32.3). */
export interface WxPrivacySetting {
  /** The user has not agreed to (every type declared in) the app's privacy guide. */
  needAuthorization: boolean;
  /** The guide's name, e.g. "《某某小程序隐私保护指引》". */
  privacyContractName?: string;
}

/** How an onNeedPrivacyAuthorization listener ends the pending call. */
export type PrivacyResolution =
  | { event: 'agree'; buttonId: string }
  | { event: 'disagree' }
  | { event: 'exposureAuthorization' };

/** The pending call that needs consent: `referrer` names it ("getPhoneNumber", "chooseAvatar"…). */
export interface PrivacyEventInfo {
  referrer?: string;
}

/** What wx.onNeedPrivacyAuthorization calls when a privacy API waits for the user's consent. */
export type PrivacyListener = (resolve: (resolution: PrivacyResolution) => void, eventInfo?: PrivacyEventInfo) => void;

export interface WxApi {
  login(options: WxCallbacks<{ code: string }> & { timeout?: number }): unknown;
  checkSession(options: WxCallbacks<unknown>): unknown;
  request(options: WxRequestOptions): unknown;
  uploadFile(options: WxUploadFileOptions): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, data: unknown): unknown;
  removeStorageSync(key: string): unknown;
  getSetting(options: WxCallbacks<{ authSetting: WxAuthSetting }>): unknown;
  openSetting(options: WxCallbacks<{ authSetting: WxAuthSetting }>): unknown;
  showModal(options: WxModalOptions): unknown;
  getUserInfo(options: WxCallbacks<WxUserInfoResult> & { withCredentials?: boolean; lang?: WxLang }): unknown;
  getUserProfile(options: WxCallbacks<WxUserInfoResult> & { desc: string; lang?: WxLang }): unknown;
  /** Not outside WeChat (Taro's H5 build): then pass `appid`. */
  getAccountInfoSync?(): { miniProgram: { appId: string } };
  /** The mini program's language ("zh_CN", "en"…), sent as Accept-Language (base library 2.20.1). */
  getAppBaseInfo?(): { language?: string };
  /** The same on older base libraries. */
  getSystemInfoSync?(): { language?: string };
  /** The privacy APIs (base library 2.32.3); below that WeChat does not ask for consent. */
  getPrivacySetting?(options: WxCallbacks<WxPrivacySetting>): unknown;
  requirePrivacyAuthorize?(options: WxCallbacks<unknown>): unknown;
  /**
   * Registers the listener WeChat calls with `(resolve, eventInfo)` (a {@link PrivacyListener}).
   * Declared loosely: miniprogram-api-typings 5 types the listener as `(res) => void`.
   */
  onNeedPrivacyAuthorization?(listener: (resolve: unknown, eventInfo?: unknown) => void): unknown;
}

// The mini program's global; a module-local declaration so the declarations we ship add no global.
declare const wx: WxApi | undefined;

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
