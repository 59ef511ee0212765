/**
 * weapp-auth for the mini program: `createAuth({ baseUrl })` in app.js, then `auth.login()`,
 * `auth.request()`, `auth.getUserInfo()`. Runs on WeChat's `wx`, Taro, uni-app or the stand-in;
 * imports nothing from Node.
 */
export { Auth, createAuth } from './auth.ts';
export {
  AuthError,
  type AuthErrorCode,
  type ClientErrorCode,
  isAuthError,
  SERVER_ERROR_CODES,
  type ServerErrorCode,
} from './errors.ts';
export type { AuthEventName, AuthEvents, RetryEvent } from './events.ts';
export type { AuthRequestOptions, AuthResponse, HttpMethod } from './http.ts';
export { type LanguageOption, languageTag } from './language.ts';
export type { AuthOptions, LoginOptions, UserInfoOptions, UserProfileOptions } from './options.ts';
export { DEFAULT_USERINFO_PROMPT, type PromptWording } from './permission.ts';
export type { PhoneNumberDetail, PhoneNumberEvent, PhoneVerification } from './phone.ts';
export type { PrivacyConsentListener, PrivacyConsentRequest } from './privacy.ts';
export type { ProfileUpdate } from './profile.ts';
export type { QrLogin, QrLoginOutcome, QrLoginRequest, QrLoginStatus } from './qr-login.ts';
export { DEFAULT_RETRY, type RetryOptions } from './retry.ts';
export type { AuthUser, LoginResult, NextStep } from './types.ts';
export type { AccountDeletion, DataExport, ExportedUser } from './user-rights.ts';
export type {
  PrivacyEventInfo,
  PrivacyListener,
  PrivacyResolution,
  WxApi,
  WxCallbacks,
  WxFailResult,
  WxPrivacySetting,
} from './wx-api.ts';
