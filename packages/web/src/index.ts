/**
 * weapp-auth for the website: log in by scanning a mini-program code. `startQrLogin({baseUrl,
 * clientId})` shows the code and follows it until the phone confirms; `refreshTokens` and `logout`
 * look after the web session. No dependencies; runs in any browser with fetch.
 */
export { isWebAuthError, WebAuthError, type WebClientErrorCode } from './errors.ts';
export type { Fetch } from './http.ts';
export {
  type QrLoginEventName,
  type QrLoginOptions,
  QrLoginSession,
  type QrLoginState,
  type QrLoginUpdate,
  startQrLogin,
} from './qr-login.ts';
export { logout, refreshTokens, type ServerOptions, type WebTokens } from './tokens.ts';
