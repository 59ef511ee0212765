import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SHA1_HEX = /^[0-9a-f]{40}$/i;

/**
 * Checks the `signature` WeChat gives next to `rawData`: sha1(rawData + session_key) in hex.
 * `rawData` must be the exact string the client received; re-serializing it breaks the check.
 * Compared in constant time so a caller cannot learn the signature byte by byte.
 */
export function verifyRawDataSignature(rawData: string, signature: string, sessionKey: string): boolean {
  if (typeof rawData !== 'string' || typeof signature !== 'string' || typeof sessionKey !== 'string') return false;
  if (!SHA1_HEX.test(signature)) return false;
  const expected = createHash('sha1')
    .update(rawData + sessionKey, 'utf8')
    .digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

/** sha1(rawData + session_key) as lowercase hex: what WeChat computes (the emulator signs with it). */
export function rawDataSignature(rawData: string, sessionKey: string): string {
  return createHash('sha1')
    .update(rawData + sessionKey, 'utf8')
    .digest('hex');
}

/**
 * The login-state signature of checksession / resetusersessionkey: HMAC-SHA256 whose key is the
 * session_key's base64 *text* (not its 16 decoded bytes), lowercase hex. checksession signs "".
 */
export function sessionSignature(sessionKey: string, message: string): string {
  return createHmac('sha256', Buffer.from(sessionKey, 'utf8')).update(message, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex signatures of possibly different length. */
export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
