import { WxError } from './errcodes.ts';
import { ACCESS_TOKEN_SHAPE, newAccessToken } from './ids.ts';

export const TOKEN_TTL_MS = 7200_000;
/** Both token kinds keep a replaced token working this long (a new one is handed out meanwhile). */
export const OVERLAP_MS = 5 * 60_000;
// Dead tokens are remembered this long so they answer 42001 / 40001 rather than "unknown".
const KEEP_MS = 24 * 3600_000;

/** `/cgi-bin/token` and `/cgi-bin/stable_token` tokens live side by side and never affect each other. */
export type TokenKind = 'token' | 'stable';

export interface TokenRecord {
  token: string;
  appid: string;
  kind: TokenKind;
  issuedAt: number;
  expiresAt: number;
  /** When a newer token of the same app and kind replaced it, and how long it keeps working after. */
  supersededAt?: number;
  graceMs?: number;
}

export class TokenBook {
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #current = new Map<string, TokenRecord>();

  /** Issues a new token, replacing the app's current one of that kind after `overlapMs`. */
  issue(appid: string, kind: TokenKind, now: number, overlapMs: number): TokenRecord {
    this.#prune(now);
    const previous = this.#current.get(`${kind}\0${appid}`);
    if (previous) {
      previous.supersededAt = now;
      previous.graceMs = overlapMs;
    }
    const record: TokenRecord = { token: newAccessToken(), appid, kind, issuedAt: now, expiresAt: now + TOKEN_TTL_MS };
    this.#tokens.set(record.token, record);
    this.#current.set(`${kind}\0${appid}`, record);
    return record;
  }

  /** The app's newest token of that kind, while it has not expired. */
  current(appid: string, kind: TokenKind, now: number): TokenRecord | undefined {
    const record = this.#current.get(`${kind}\0${appid}`);
    return record && now < record.expiresAt ? record : undefined;
  }

  /** The record a token string names, valid or not (which app a call concerns, for counters and faults). */
  find(token: string): TokenRecord | undefined {
    return this.#tokens.get(token);
  }

  /** Validates an access_token as WeChat does (wechat-api.md §14.6); the token is known to be present. */
  check(token: string, now: number): TokenRecord {
    if (!ACCESS_TOKEN_SHAPE.test(token)) throw new WxError(40014);
    const record = this.#tokens.get(token);
    if (!record) throw new WxError(40001);
    if (now >= record.expiresAt) throw new WxError(42001);
    if (record.supersededAt !== undefined && now >= record.supersededAt + (record.graceMs ?? 0))
      throw new WxError(40001);
    return record;
  }

  clear(): void {
    this.#tokens.clear();
    this.#current.clear();
  }

  #prune(now: number): void {
    // Insertion order is issue order, and every token lives the same time: stop at the first to keep.
    for (const [token, record] of this.#tokens) {
      if (now - record.expiresAt <= KEEP_MS) return;
      this.#tokens.delete(token);
    }
  }
}
