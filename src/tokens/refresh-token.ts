import { createHash } from 'node:crypto';
import { randomBytesPooled } from '../store/index.ts';

const PREFIX = 'rt_';
const FORMAT = /^rt_[A-Za-z0-9_-]{43}$/;

/**
 * Refresh tokens are opaque random strings; only their SHA-256 is stored, so a database leak
 * does not hand out sessions. 256 bits of entropy make a slow hash unnecessary.
 */
export function newRefreshToken(): { token: string; hash: string } {
  const token = `${PREFIX}${randomBytesPooled(32).toString('base64url')}`;
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Cheap shape check before touching the database. */
export function isRefreshTokenShaped(token: unknown): token is string {
  return typeof token === 'string' && FORMAT.test(token);
}
