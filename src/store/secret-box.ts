import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { StoreError } from './errors.ts';
import { randomBytesPooled } from './random-bytes.ts';

/** What a secret is for; each purpose gets its own subkey, so one can never be opened as the other. */
export type SecretPurpose = 'session-key' | 'signing-key';

export interface SecretBox {
  /**
   * Encrypts `plaintext` bound to `context` (the row it belongs to, e.g. the identity id): the
   * result only opens with the same purpose and context, so a ciphertext copied into another row
   * is useless there.
   */
  seal(purpose: SecretPurpose, context: string, plaintext: string): string;
  /** Throws a StoreError (`MALFORMED_CIPHERTEXT`, `UNSUPPORTED_CIPHERTEXT_VERSION`, `DECRYPT_FAILED`). */
  open(purpose: SecretPurpose, context: string, sealed: string): string;
  /**
   * Keyed fingerprints of `plaintext` (HMAC-SHA256 under a subkey of its own per purpose, base64url):
   * equal plaintexts give equal fingerprints, so SQL can tell whether a stored secret changed
   * without opening it, and the database alone cannot test a guess (unlike a plain hash). One per
   * key, the current key's first: a fingerprint stored under a previous key still matches.
   */
  fingerprints(purpose: SecretPurpose, plaintext: string): readonly string[];
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The 32-byte master key from 64 hex digits or base64 (standard or URL-safe, padding optional).
 * Anything else is refused, so a passphrase is never used as a key by accident.
 */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  throw new StoreError(
    'INVALID_SECRET_KEY',
    'The secret key must be 32 bytes as base64 (44 characters) or hex (64 characters), e.g. `openssl rand -base64 32`.',
  );
}

/** AES-256-GCM with the subkey for one purpose, derived with HKDF-SHA256 from one master key. */
function keyring(master: Buffer) {
  const subkeys = new Map<SecretPurpose, Buffer>();
  return (purpose: SecretPurpose): Buffer => {
    let key = subkeys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', master, 'weapp-auth secret box', `weapp-auth/${VERSION}/${purpose}`, 32));
      subkeys.set(purpose, key);
    }
    return key;
  };
}

/** The HMAC key for one purpose's fingerprints: HKDF with its own info, so it is independent of the AES subkey. */
function fingerprintKeys(master: Buffer) {
  const subkeys = new Map<SecretPurpose, KeyObject>();
  return (purpose: SecretPurpose): KeyObject => {
    let key = subkeys.get(purpose);
    if (!key) {
      key = createSecretKey(
        Buffer.from(
          hkdfSync('sha256', master, 'weapp-auth secret box', `weapp-auth/${VERSION}/${purpose}/fingerprint`, 32),
        ),
      );
      subkeys.set(purpose, key);
    }
    return key;
  };
}

function masterKey(secretKey: string | Uint8Array): Buffer {
  const master = typeof secretKey === 'string' ? parseSecretKey(secretKey) : Buffer.from(secretKey);
  if (master.length !== 32) throw new StoreError('INVALID_SECRET_KEY', 'The secret key must be exactly 32 bytes.');
  return master;
}

/**
 * AES-256-GCM under per-purpose subkeys derived with HKDF-SHA256 from one master key. Sealed
 * values read `v1.<iv>.<ciphertext+tag>` in base64url; the version prefix lets a later format
 * coexist with rows written today.
 *
 * Key rotation: values are sealed with `secretKey`; `previousKeys` (older keys, newest first) still
 * open what they sealed, until `weapp-auth keys reseal` has rewritten it under the new key.
 */
export function createSecretBox(
  secretKey: string | Uint8Array,
  previousKeys: readonly (string | Uint8Array)[] = [],
): SecretBox {
  const masters = [secretKey, ...previousKeys].map(masterKey);
  const [current, ...older] = masters.map(keyring);
  const fingerprintKeyrings = masters.map(fingerprintKeys);
  const subkey = current as ReturnType<typeof keyring>;
  const aad = (purpose: SecretPurpose, context: string) => Buffer.from(`${purpose}\0${context}`, 'utf8');

  const tryOpen = (
    subkeyOf: ReturnType<typeof keyring>,
    purpose: SecretPurpose,
    context: string,
    iv: Buffer,
    body: Buffer,
  ) => {
    const decipher = createDecipheriv('aes-256-gcm', subkeyOf(purpose), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(purpose, context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  };

  return Object.freeze({
    seal(purpose: SecretPurpose, context: string, plaintext: string): string {
      const iv = randomBytesPooled(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', subkey(purpose), iv);
      cipher.setAAD(aad(purpose, context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },

    open(purpose: SecretPurpose, context: string, sealed: string): string {
      const parts = sealed.split('.');
      if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) {
        throw new StoreError('MALFORMED_CIPHERTEXT', 'The sealed value is not `v1.<iv>.<ciphertext>`.');
      }
      const [version, ivText, bodyText] = parts as [string, string, string];
      if (version !== VERSION) {
        throw new StoreError(
          'UNSUPPORTED_CIPHERTEXT_VERSION',
          `Sealed values of version "${version}" are not supported.`,
        );
      }
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) {
        throw new StoreError('MALFORMED_CIPHERTEXT', 'The sealed value has a wrong-sized iv or is truncated.');
      }
      let cause: unknown;
      for (const keys of [subkey, ...older]) {
        try {
          return tryOpen(keys, purpose, context, iv, body);
        } catch (err) {
          cause ??= err;
        }
      }
      // GCM cannot tell these apart, and saying which would help an attacker anyway.
      throw new StoreError(
        'DECRYPT_FAILED',
        `A sealed ${purpose} did not authenticate: WEAPP_SECRET_KEY changed (list the old one in WEAPP_SECRET_KEY_PREVIOUS), the value was altered, or it was copied from another row.`,
        { cause },
      );
    },

    fingerprints(purpose: SecretPurpose, plaintext: string): readonly string[] {
      return fingerprintKeyrings.map((keyOf) =>
        createHmac('sha256', keyOf(purpose)).update(plaintext, 'utf8').digest('base64url'),
      );
    },
  });
}
