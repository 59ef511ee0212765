import { randomUUID } from 'node:crypto';
import type { AccessTokenStore, StoredAccessToken } from '../wechat/client/index.ts';
import type { Cache } from './cache.ts';

const tokenKey = (appid: string) => `wechat:access-token:${appid}`;
const lockKey = (key: string) => `wechat:lock:${key}`;

function parse(raw: string | undefined): StoredAccessToken | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<StoredAccessToken>;
    const { accessToken, expiresAt, issuedAt } = value;
    if (typeof accessToken === 'string' && typeof expiresAt === 'number' && typeof issuedAt === 'number') {
      return { accessToken, expiresAt, issuedAt };
    }
  } catch {
    // An unreadable entry is as good as none: the manager fetches a fresh token.
  }
  return undefined;
}

/**
 * WeChat access tokens and the fetch lock on any Cache: in memory for one instance, in Redis so
 * that every instance shares one token per app (and stops invalidating each other's).
 */
export class CacheAccessTokenStore implements AccessTokenStore {
  readonly #cache: Cache;
  readonly #now: () => number;

  /** `now` (epoch ms) must be the clock the cache expires by (Date.now for Redis). */
  constructor(cache: Cache, options: { now?: () => number } = {}) {
    this.#cache = cache;
    this.#now = options.now ?? Date.now;
  }

  async get(appid: string): Promise<StoredAccessToken | undefined> {
    const token = parse(await this.#cache.get(tokenKey(appid)));
    return token && token.expiresAt > this.#now() ? token : undefined;
  }

  /**
   * The sequence guard as compare-and-set: read, decide, then write only if nobody wrote in
   * between; a lost race re-reads, so an older answer can never land over a newer one.
   */
  async set(appid: string, token: StoredAccessToken): Promise<boolean> {
    const key = tokenKey(appid);
    const value = JSON.stringify({
      accessToken: token.accessToken,
      expiresAt: token.expiresAt,
      issuedAt: token.issuedAt,
    });
    for (;;) {
      const ttlMs = token.expiresAt - this.#now();
      if (ttlMs <= 0) return false;
      const raw = await this.#cache.get(key);
      const current = parse(raw);
      if (current && current.expiresAt > this.#now() && current.issuedAt >= token.issuedAt) return false;
      if (await this.#cache.compareAndSet(key, raw, value, ttlMs)) return true;
    }
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const owner = randomUUID();
    return (await this.#cache.setIfAbsent(lockKey(key), owner, ttlMs)) ? owner : undefined;
  }

  async releaseLock(key: string, owner: string): Promise<void> {
    await this.#cache.deleteIfEquals(lockKey(key), owner);
  }
}
