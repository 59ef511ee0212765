import { randomUUID } from 'node:crypto';
import type { AccessTokenStore, StoredAccessToken } from './token-store.ts';

/**
 * AccessTokenStore in this process's memory. Right for one instance; with several instances each
 * would fetch its own token, and with /cgi-bin/token they would keep invalidating each other's:
 * use a shared (Redis) store as soon as there is more than one.
 */
export class MemoryAccessTokenStore implements AccessTokenStore {
  readonly #now: () => number;
  readonly #tokens = new Map<string, StoredAccessToken>();
  readonly #locks = new Map<string, { owner: string; expiresAt: number }>();

  /** `now` (epoch ms) lets tests move time; it should be the clock the manager uses. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(appid: string): Promise<StoredAccessToken | undefined> {
    const token = this.#tokens.get(appid);
    if (!token) return undefined;
    if (token.expiresAt <= this.#now()) {
      this.#tokens.delete(appid);
      return undefined;
    }
    return { ...token };
  }

  async set(appid: string, token: StoredAccessToken): Promise<boolean> {
    if (token.expiresAt <= this.#now()) return false;
    const current = await this.get(appid);
    if (current && current.issuedAt >= token.issuedAt) return false;
    this.#tokens.set(appid, { accessToken: token.accessToken, expiresAt: token.expiresAt, issuedAt: token.issuedAt });
    return true;
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const now = this.#now();
    const held = this.#locks.get(key);
    if (held && held.expiresAt > now) return undefined;
    const owner = randomUUID();
    this.#locks.set(key, { owner, expiresAt: now + ttlMs });
    return owner;
  }

  async releaseLock(key: string, owner: string): Promise<void> {
    if (this.#locks.get(key)?.owner === owner) this.#locks.delete(key);
  }
}
