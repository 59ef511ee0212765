import { randomBytesPooled } from './random-bytes.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, unpadded: safe in URLs, file names and case-insensitive places. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
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
