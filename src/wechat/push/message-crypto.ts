import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { decodeBase64Strict } from '../crypto/base64.ts';
import { signaturesEqual } from '../crypto/signature.ts';

/**
 * The cryptography of WeChat's message push (wechat-api.md §16.2-§16.5): the SHA-1 signatures of
 * the URL check and of each push, and the "safe mode" envelope, AES-256-CBC with WeChat's own
 * framing. Checked against the public vectors in shared/vectors/message-push.json.
 */

export type PushCryptoErrorCode = 'INVALID_AES_KEY' | 'MALFORMED_CIPHERTEXT' | 'DECRYPT_FAILED' | 'APPID_MISMATCH';

export class PushCryptoError extends Error {
  override readonly name = 'PushCryptoError';
  readonly code: PushCryptoErrorCode;

  constructor(code: PushCryptoErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** §16.4: 32 random-looking bytes of padding at most; the block WeChat pads to is 32, not AES's 16. */
const PAD_BLOCK = 32;
const RANDOM_BYTES = 16;
const LENGTH_BYTES = 4;
const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;

/**
 * sha1_hex of the parts sorted as strings (plain code-unit order, not numeric) and joined:
 * `signature` signs [token, timestamp, nonce]; `msg_signature` adds the `Encrypt` field (§16.2-16.3).
 */
export function pushSignature(parts: readonly string[]): string {
  return createHash('sha1')
    .update([...parts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(''), 'utf8')
    .digest('hex');
}

/** Compares a received signature with the one `parts` give, in constant time. */
export function verifyPushSignature(signature: string, parts: readonly string[]): boolean {
  return typeof signature === 'string' && signaturesEqual(signature.toLowerCase(), pushSignature(parts));
}

/**
 * The 32-byte key of an EncodingAESKey: 43 characters of [A-Za-z0-9] and a "=" make base64 of 32
 * bytes; the last character's two low bits fall away, so keys differing only there are one key.
 */
export function parseEncodingAesKey(encodingAesKey: string): Buffer {
  if (typeof encodingAesKey !== 'string' || !ENCODING_AES_KEY.test(encodingAesKey)) {
    throw new PushCryptoError('INVALID_AES_KEY', 'The EncodingAESKey must be 43 letters and digits.');
  }
  return Buffer.from(`${encodingAesKey}=`, 'base64');
}

export interface PushEnvelopeOptions {
  encodingAesKey: string;
  /** The appid WeChat appends to every plaintext; a push for another app is refused. */
  appid: string;
}

/** Opens the `Encrypt` field of a safe-mode push; the message as WeChat wrote it (JSON or XML text). */
export function decryptPushMessage(encrypted: string, options: PushEnvelopeOptions): string {
  const key = parseEncodingAesKey(options.encodingAesKey);
  const ciphertext = typeof encrypted === 'string' ? decodeBase64Strict(encrypted) : undefined;
  if (ciphertext === undefined) throw new PushCryptoError('MALFORMED_CIPHERTEXT', 'Encrypt is not base64.');
  if (ciphertext.length === 0 || ciphertext.length % PAD_BLOCK !== 0) {
    throw new PushCryptoError('MALFORMED_CIPHERTEXT', `Encrypt is not whole ${PAD_BLOCK}-byte blocks.`);
  }
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  // Node's unpadding knows 16-byte PKCS#7 only; WeChat pads to 32 (a pad byte up to 32).
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  // The official sample reads a bad pad byte as 0 and carries on; a forged envelope must fail here.
  if (pad < 1 || pad > PAD_BLOCK || !padded.subarray(padded.length - pad).every((b) => b === pad)) {
    throw new PushCryptoError('DECRYPT_FAILED', 'Encrypt does not decrypt with this EncodingAESKey.');
  }
  const plain = padded.subarray(0, padded.length - pad);
  if (plain.length < RANDOM_BYTES + LENGTH_BYTES) {
    throw new PushCryptoError('DECRYPT_FAILED', 'The decrypted envelope is too short.');
  }
  const length = plain.readUInt32BE(RANDOM_BYTES);
  const start = RANDOM_BYTES + LENGTH_BYTES;
  if (start + length > plain.length) {
    throw new PushCryptoError('DECRYPT_FAILED', 'The decrypted envelope is shorter than its stated length.');
  }
  const appid = plain.subarray(start + length).toString('utf8');
  if (!signaturesEqual(appid, options.appid)) {
    throw new PushCryptoError('APPID_MISMATCH', 'The push was encrypted for another appid.');
  }
  return plain.subarray(start, start + length).toString('utf8');
}

/**
 * Seals a message as WeChat does: the emulator's pushes and our encrypted replies. `random`
 * (16 bytes) is fixed only by tests reproducing a vector.
 */
export function encryptPushMessage(message: string, options: PushEnvelopeOptions & { random?: Buffer }): string {
  const key = parseEncodingAesKey(options.encodingAesKey);
  const random = options.random ?? randomBytes(RANDOM_BYTES);
  if (random.length !== RANDOM_BYTES) throw new TypeError(`random must be ${RANDOM_BYTES} bytes`);
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([random, length, body, Buffer.from(options.appid, 'utf8')]);
  const pad = PAD_BLOCK - (plain.length % PAD_BLOCK);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    'base64',
  );
}
