export {
  AccessTokenManager,
  type AccessTokenManagerOptions,
  type AccessTokenSource,
  FORCE_REFRESH_SPACING_MS,
  type SecretLookup,
} from './access-token-manager.ts';
export {
  DEFAULT_BASE_URL,
  type WeChatCallEvent,
  WeChatClient,
  type WeChatClientOptions,
} from './client.ts';
export { describeErrcode, type ErrcodeInfo, type WeChatApi, type WeChatErrorCategory } from './errcodes.ts';
export {
  isWeChatApiError,
  isWeChatTransportError,
  parseRid,
  WeChatApiError,
  WeChatTransportError,
  type WeChatTransportErrorKind,
} from './errors.ts';
export type { FetchInit, FetchLike, FetchResponse } from './http.ts';
export type {
  AccessTokenCall,
  AppCredentials,
  Code2SessionInput,
  MsgSecCheckInput,
  PhoneNumberInput,
  SessionKeyInput,
  StableAccessTokenInput,
  UnlimitedQRCodeInput,
  UserRiskRankInput,
} from './inputs.ts';
export { silentLogger, type WeChatLogger } from './logger.ts';
export type { MediaCheckAsyncInput, MediaCheckAsyncResult } from './media-check.ts';
export { MemoryAccessTokenStore } from './memory-token-store.ts';
export type {
  AccessTokenResult,
  Code2SessionResult,
  MsgSecCheckDetail,
  MsgSecCheckResult,
  MsgSecSuggest,
  PhoneNumberResult,
  ResetSessionKeyResult,
  UserRiskRankResult,
  WxaCodeImage,
} from './responses.ts';
export { DEFAULT_RETRY, type RetryMode, type RetryOptions } from './retry.ts';
export type { AccessTokenStore, StoredAccessToken } from './token-store.ts';
