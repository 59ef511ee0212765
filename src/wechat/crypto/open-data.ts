import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './base64.ts';
import { OpenDataError } from './errors.ts';

/** The watermark WeChat appends to every encrypted open-data payload. */
export interface Watermark {
  appid: string;
  timestamp: number;
}

/** A decrypted payload: whatever WeChat put in, plus the watermark. */
export type OpenData = Record<string, unknown> & { watermark?: Watermark };

export interface DecryptOptions {
  /** Required: the payload's `watermark.appid` must equal it (data from another app is refused). */
  appid: string;
  /** Refuse data whose `watermark.timestamp` is older than this many seconds. */
  maxAgeSeconds?: number;
  /** Current time in ms (tests); defaults to Date.now(). */
  now?: number;
}

export interface EncryptOptions {
  /** 16 bytes; random when omitted, as WeChat does. */
  iv?: Buffer;
  /** Appended last to the payload, after its own keys, as WeChat serializes it. */
  watermark?: Watermark;
}

export interface EncryptedOpenData {
  encryptedData: string;
  iv: string;
}

const ALGORITHM = 'aes-128-cbc';
const BLOCK = 16;

export const STALE_KEY_HINT =
  'The usual cause: wx.login ran after the data was produced, so WeChat rotated the session_key. ' +
  'Call wx.checkSession before collecting the data (and wx.login only when it fails), then collect it again.';

function decodeKey(sessionKey: string): Buffer {
  const key = typeof sessionKey === 'string' ? decodeBase64Strict(sessionKey) : undefined;
  if (!key || key.length !== BLOCK) {
    throw new OpenDataError(
      'INVALID_SESSION_KEY',
      'session_key must be the base64 of 16 bytes (24 characters ending "==") as code2Session returns it.',
    );
  }
  return key;
}

function decodeIv(iv: string): Buffer {
  const bytes = typeof iv === 'string' ? decodeBase64Strict(iv) : undefined;
  if (!bytes || bytes.length !== BLOCK) {
    throw new OpenDataError(
      'INVALID_IV',
      'iv must be the base64 of 16 bytes (24 characters ending "==") exactly as the mini program received it.',
    );
  }
  return bytes;
}

function decodeCiphertext(encryptedData: string): Buffer {
  const bytes = typeof encryptedData === 'string' ? decodeBase64Strict(encryptedData) : undefined;
  if (!bytes) {
    throw new OpenDataError(
      'MALFORMED_CIPHERTEXT',
      'encryptedData is not valid base64. Send it unchanged (JSON body, or URL-encoded in a query string).',
    );
  }
  if (bytes.length === 0 || bytes.length % BLOCK !== 0) {
    throw new OpenDataError(
      'MALFORMED_CIPHERTEXT',
      `encryptedData must decode to a non-empty multiple of ${BLOCK} bytes (got ${bytes.length}); it was probably truncated.`,
    );
  }
  return bytes;
}

function decryptFailed(): OpenDataError {
  return new OpenDataError(
    'DECRYPT_FAILED',
    `encryptedData could not be decrypted with this session_key. ${STALE_KEY_HINT}`,
  );
}

function aesDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer): string {
  let plain: Buffer;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv);
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    // OpenSSL only ever says "bad decrypt" here: the PKCS#7 padding did not check out.
    throw decryptFailed();
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw decryptFailed();
  }
}

function parsePlaintext(text: string): OpenData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // A wrong key passes the padding check about once in 256 tries and yields garbage.
    throw decryptFailed();
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OpenDataError('INVALID_PLAINTEXT', 'The decrypted data is JSON but not an object.');
  }
  return value as OpenData;
}

function checkWatermark(data: OpenData, options: DecryptOptions): void {
  const watermark = data.watermark as Partial<Watermark> | undefined;
  if (watermark?.appid !== options.appid) {
    throw new OpenDataError(
      'WATERMARK_MISMATCH',
      watermark?.appid === undefined
        ? 'The decrypted data carries no watermark.appid, so it cannot be tied to this mini program.'
        : `The data was produced for another mini program (watermark.appid ${watermark.appid}, expected ${options.appid}).`,
    );
  }
  if (options.maxAgeSeconds !== undefined) {
    const now = Math.floor((options.now ?? Date.now()) / 1000);
    const ts = watermark.timestamp;
    if (typeof ts !== 'number' || !Number.isFinite(ts) || now - ts > options.maxAgeSeconds) {
      throw new OpenDataError(
        'DATA_EXPIRED',
        `The data was produced more than ${options.maxAgeSeconds} s ago (watermark.timestamp ${String(ts)}); collect it again.`,
      );
    }
  }
}

/**
 * Decrypts what `wx.getUserInfo`, the phone-number button and friends hand the mini program:
 * AES-128-CBC with PKCS#7 under the user's session_key, then checks the watermark.
 */
export function decryptOpenData(
  sessionKey: string,
  iv: string,
  encryptedData: string,
  options: DecryptOptions,
): OpenData {
  if (typeof options?.appid !== 'string' || options.appid === '') throw new TypeError('options.appid is required');
  const data = decryptUncheckedOpenData(sessionKey, iv, encryptedData);
  checkWatermark(data, options);
  return data;
}

/**
 * Decrypts and parses without looking at the watermark. Only for diagnostics (the `decrypt` CLI
 * without --appid): anything that trusts the data must use decryptOpenData.
 */
export function decryptUncheckedOpenData(sessionKey: string, iv: string, encryptedData: string): OpenData {
  const key = decodeKey(sessionKey);
  const ivBytes = decodeIv(iv);
  const ciphertext = decodeCiphertext(encryptedData);
  return parsePlaintext(aesDecrypt(key, ivBytes, ciphertext));
}

/**
 * Encrypts a payload exactly as WeChat does: compact JSON (insertion order), watermark last,
 * AES-128-CBC with PKCS#7. Used by the emulator and by tests.
 */
export function encryptOpenData(
  sessionKey: string,
  payload: Record<string, unknown>,
  options: EncryptOptions = {},
): EncryptedOpenData {
  const key = decodeKey(sessionKey);
  const iv = options.iv ?? randomBytes(BLOCK);
  if (iv.length !== BLOCK) throw new TypeError('iv must be 16 bytes');
  const body = options.watermark ? { ...payload, watermark: options.watermark } : payload;
  const cipher = createCipheriv(ALGORITHM, key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return { encryptedData: ciphertext.toString('base64'), iv: iv.toString('base64') };
}
