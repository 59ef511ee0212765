import { createHash } from 'node:crypto';
import { randomBytesPooled } from '../store/index.ts';

/**
 * A refresh token names the row it belongs to: `rt_`, the session row's id, `.`, and 256 random
 * bits in base64url — `rt_s_<26 base32>.<43 base64url>`. The database keeps the name and the
 * SHA-256 of the whole token, `s_<26>.<64 hex>`, so a leak of it does not hand out sessions, and
 * 256 bits of entropy make a slow hash unnecessary.
 *
 * Why the name: the stored value is what the unique index on `sessions.refresh_token_hash` (and
 * every refresh's lookup) keys on. A bare SHA-256 is random, so every login and refresh wrote a
 * random leaf of that index — one more page in SQLite's WAL and in PostgreSQL's full-page writes
 * per login, where the primary key and family index already append (store/ids.ts). Prefixed by a
 * session id that begins with the time, the key appends too (BENCHMARKS.md, issue 11 step 12).
 * The lookup stays one equality on the stored value; the comparison inside the index is over a
 * hash, whose prefix an attacker learns nothing from.
 *
 * Tokens issued before, `rt_<43 base64url>`, are stored as their bare SHA-256 and still work
 * until they expire (REFRESH_TOKEN_TTL): their first refresh answers a token of today's form.
 */
const PREFIX = 'rt_';
const NAMED = /^rt_(s_[a-z2-7]{26})\.[A-Za-z0-9_-]{43}$/;
const UNNAMED = /^rt_[A-Za-z0-9_-]{43}$/;
const SESSION_ID = /^s_[a-z2-7]{26}$/;

/** A new refresh token for the session row `sessionId` (not stored yet), and what to store. */
export function newRefreshToken(sessionId: string): { token: string; hash: string } {
  if (!SESSION_ID.test(sessionId)) throw new TypeError(`${sessionId} is not a session id`);
  const token = `${PREFIX}${sessionId}.${randomBytesPooled(32).toString('base64url')}`;
  return { token, hash: `${sessionId}.${sha256(token)}` };
}

/**
 * What the database holds for a refresh-token-shaped string (see {@link isRefreshTokenShaped}):
 * the session id and the token's SHA-256, or the bare SHA-256 for a token of the old form.
 */
export function hashRefreshToken(token: string): string {
  const named = NAMED.exec(token);
  return named ? `${named[1]}.${sha256(token)}` : sha256(token);
}

/** Cheap shape check before touching the database: today's form or the old one. */
export function isRefreshTokenShaped(token: unknown): token is string {
  return typeof token === 'string' && (NAMED.test(token) || UNNAMED.test(token));
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
