import { randomBytesPooled } from './random-bytes.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** The same 32 characters in byte order, so that strings compare as the numbers they encode. */
const SORTABLE = '234567abcdefghijklmnopqrstuvwxyz';

/** RFC 4648 base32, lower case, unpadded: safe in URLs, file names and case-insensitive places. */
function base32(bytes: Uint8Array, alphabet: string = ALPHABET): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

export type IdPrefix = 'u' | 'i' | 's' | 'c' | 'a';

/**
 * Our ids: a type prefix and 128 random bits in base32 (`u_` + 26 characters for a user). Random
 * rather than sequential so they reveal neither user counts nor sign-up order, and so rows can be
 * named (and their secrets bound to the name) before they are inserted.
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${base32(randomBytesPooled(16))}`;
}

/**
 * An id for a row written once per login or refresh (sessions, audit events): the same shape as
 * {@link newId}, but the first 48 of its 128 bits are the time in milliseconds and the characters
 * sort in byte order, so a new id sorts after older ones. A random key lands on a random leaf of
 * the primary key's B-tree (and of `sessions.family_id`, which is a login's session id): every
 * login dirtied pages all over each index, and SQLite's WAL and PostgreSQL's full-page writes copy
 * every dirtied page. Appended keys share the right-most leaf. Measured on SQLite in groups of 8
 * logins (an identity UPDATE, a session and an audit INSERT each): 38 → 26 KB of WAL per login,
 * 104-168 → 82-124 µs. The 80 random bits left keep ids unguessable; what the time part reveals
 * (when a session began) the access token's `iat` already says. Users and identities keep
 * {@link newId}: their ids must not reveal sign-up order.
 */
export function newTimeOrderedId(prefix: 's' | 'a', now: number = Date.now()): string {
  const bytes = randomBytesPooled(16);
  bytes.writeUIntBE(Math.max(0, Math.min(Math.trunc(now), 2 ** 48 - 1)), 0, 6);
  return `${prefix}_${base32(bytes, SORTABLE)}`;
}
