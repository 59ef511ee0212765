import { createHmac, randomBytes } from 'node:crypto';

/**
 * Identifier shapes as WeChat hands them out (wechat-api.md §13), so a backend that validates
 * lengths or alphabets, or sizes a column, meets the real thing here first.
 */

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function spell(bytes: Buffer, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i % bytes.length] ?? 0) % alphabet.length];
  return out;
}

/**
 * Derives stable values from the instance seed: the same seed and label always give the same bytes,
 * so two runs with one seed hand out the same openids, unionids and generated profiles.
 */
export class Derivation {
  readonly #seed: string;

  constructor(seed: string) {
    this.#seed = seed;
  }

  bytes(label: string): Buffer {
    return createHmac('sha256', this.#seed).update(label, 'utf8').digest();
  }

  /** An integer in [0, n) for this label. */
  pick(label: string, n: number): number {
    return this.bytes(label).readUInt32BE(0) % n;
  }

  /**
   * openid: 28 URL-safe characters starting with "o". Real openids of one app share their first
   * characters, so the app contributes a prefix and the user the rest.
   */
  openid(appid: string, user: string): string {
    const prefix = spell(this.bytes(`openid-app\0${appid}`), URL_SAFE, 5);
    return `o${prefix}${spell(this.bytes(`openid\0${appid}\0${user}`), URL_SAFE, 22)}`;
  }

  /** unionid: the same for one user across every app bound to one open-platform account. */
  unionid(openPlatform: string, user: string): string {
    const prefix = spell(this.bytes(`unionid-platform\0${openPlatform}`), URL_SAFE, 5);
    return `o${prefix}${spell(this.bytes(`unionid\0${openPlatform}\0${user}`), URL_SAFE, 22)}`;
  }
}

/** A wx.login code: 32 characters of [0-9A-Za-z]. */
export function newLoginCode(): string {
  return spell(randomBytes(32), ALNUM, 32);
}

/** A getPhoneNumber button code: 64 lowercase hex. */
export function newPhoneCode(): string {
  return randomBytes(32).toString('hex');
}

/** A session_key: base64 of 16 random bytes (24 characters ending "=="). */
export function newSessionKey(): string {
  return randomBytes(16).toString('base64');
}

/** An access token: a small number, an underscore, then ~130 URL-safe characters. */
export function newAccessToken(): string {
  return `86_${spell(randomBytes(132), URL_SAFE, 132)}`;
}

export const ACCESS_TOKEN_SHAPE = /^\d+_[A-Za-z0-9_-]+$/;

/** rid / trace_id: three groups of 8 hex digits, the first being the Unix time in seconds. */
export function newRid(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8);
  const rest = randomBytes(8).toString('hex');
  return `${seconds}-${rest.slice(0, 8)}-${rest.slice(8)}`;
}
