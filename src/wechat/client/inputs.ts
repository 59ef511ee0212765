/** What each call takes. Secrets, codes, tokens and session keys here never reach an error or a log. */

export interface AppCredentials {
  appid: string;
  secret: string;
}

export interface Code2SessionInput extends AppCredentials {
  /** The code from `wx.login()`: single use, valid 5 minutes. */
  code: string;
}

export interface StableAccessTokenInput extends AppCredentials {
  /**
   * Invalidate the current stable token and issue a new one. WeChat allows 20 a day, at least
   * 30 s apart (closer calls silently return the current token).
   */
  forceRefresh?: boolean;
}

export interface AccessTokenCall {
  accessToken: string;
  /** Not sent: names the app in errors, logs and call events. */
  appid?: string;
}

export interface PhoneNumberInput extends AccessTokenCall {
  /** The code from `<button open-type="getPhoneNumber">` (not the wx.login code): single use. */
  code: string;
  /** When given, WeChat checks that the phone code belongs to this user. */
  openid?: string;
}

export interface SessionKeyInput extends AccessTokenCall {
  openid: string;
  /** The session_key we hold for this user; only its signature is sent. */
  sessionKey: string;
}

export interface MsgSecCheckInput extends AccessTokenCall {
  /** Must have opened the mini program within the last 2 hours (else errcode 61010). */
  openid: string;
  /** At most 2500 characters. */
  content: string;
  /** 1 profile, 2 comment, 3 forum, 4 social log. */
  scene: 1 | 2 | 3 | 4;
  title?: string;
  nickname?: string;
  /** A personal signature; meaningful for scene 1 only. */
  signature?: string;
}

export interface UserRiskRankInput extends AccessTokenCall {
  /** Sent again in the body, as WeChat asks, although the access token implies it. */
  appid: string;
  /** Must belong to `appid` (43104) and have visited the mini program recently (61010). */
  openid: string;
  /** 0 registration, 1 marketing abuse (wechat-api.md §18). */
  scene: 0 | 1;
  /** The user's address as this server saw it; WeChat cannot know it. */
  clientIp: string;
  mobileNo?: string;
  emailAddress?: string;
  extendedInfo?: string;
  /** A test call: its own quota (9410009), no visit check. */
  isTest?: boolean;
}

export interface UnlimitedQRCodeInput extends AccessTokenCall {
  /** At most 32 characters of 0-9 A-Z a-z and !#$&'()*+,/:;=?@-._~ (wechat-api.md §19.1). */
  scene: string;
  /** The page the code opens, without a leading "/" or a query; default the home page. */
  page?: string;
  /** true (WeChat's default): the page must be in the published version, else 41030. */
  checkPath?: boolean;
  /** Which version the code opens; default `release`. */
  envVersion?: 'release' | 'trial' | 'develop';
  /** 280-1280 px; default 430. */
  width?: number;
}
