export { type AccessTokenClaims, AccessTokenError, type AccessTokenErrorCode } from './access-token.ts';
export { KeyRing, SIGNING_ALG } from './key-ring.ts';
export { type Invalidation, type InvalidationBus, type LiveSession, LiveSessions } from './live-sessions.ts';
export { hashRefreshToken, isRefreshTokenShaped, newRefreshToken } from './refresh-token.ts';
export { loadKeyRing, rotateSigningKeys } from './signing-keys.ts';
export {
  type ClientMeta,
  type IssuedTokens,
  RefreshError,
  type RefreshErrorCode,
  type SessionDraftTokens,
  TokenService,
  type TokenServiceOptions,
} from './token-service.ts';
