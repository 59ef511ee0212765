import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { KeyRing } from './key-ring.ts';

export interface AccessTokenClaims {
  /** Our user id. */
  sub: string;
  /** The appid the user logged in with. */
  aud: string;
  /** The session (refresh-token family) this token belongs to; logout revokes it. */
  sid: string;
  openid: string;
  iat: number;
  exp: number;
  iss: string;
}

export type AccessTokenErrorCode = 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'SESSION_REVOKED';

export class AccessTokenError extends Error {
  override readonly name = 'AccessTokenError';
  readonly code: AccessTokenErrorCode;
  constructor(code: AccessTokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface SignAccessTokenInput {
  userId: string;
  appid: string;
  sessionId: string;
  openid: string;
  issuer: string;
  ttlSeconds: number;
  now: number;
}

export async function signAccessToken(ring: KeyRing, input: SignAccessTokenInput): Promise<string> {
  const iat = Math.floor(input.now / 1000);
  return new SignJWT({ sid: input.sessionId, openid: input.openid })
    .setProtectedHeader({ alg: 'EdDSA', kid: ring.signingKid, typ: 'at+jwt' })
    .setSubject(input.userId)
    .setAudience(input.appid)
    .setIssuer(input.issuer)
    .setIssuedAt(iat)
    .setExpirationTime(iat + input.ttlSeconds)
    .sign(ring.signingKey);
}

/** Verifies signature, issuer, audience (one of our apps) and expiry; typed errors only. */
export async function verifyAccessToken(
  ring: KeyRing,
  token: string,
  options: { issuer: string; audiences: readonly string[]; now: number },
): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(token, ring.verifier, {
      issuer: options.issuer,
      audience: [...options.audiences],
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
      currentDate: new Date(options.now),
      requiredClaims: ['sub', 'aud', 'sid', 'exp', 'iat'],
    });
    if (typeof payload.sid !== 'string' || typeof payload.openid !== 'string' || typeof payload.aud !== 'string') {
      throw new AccessTokenError('TOKEN_INVALID', 'The access token lacks its session claims.');
    }
    return payload as unknown as AccessTokenClaims;
  } catch (err) {
    if (err instanceof AccessTokenError) throw err;
    if (err instanceof joseErrors.JWTExpired) {
      throw new AccessTokenError('TOKEN_EXPIRED', 'The access token expired; call /v1/token/refresh.');
    }
    if (err instanceof joseErrors.JOSEError) {
      throw new AccessTokenError('TOKEN_INVALID', `The access token was refused (${err.code}).`, { cause: err });
    }
    throw err;
  }
}
