import { type Cache, isCacheUnavailable } from './cache.ts';
import { MemoryCache } from './memory-cache.ts';

/**
 * A shared cache that, while it is unavailable, serves from this process instead. Only for uses
 * where per-instance state is a safe stand-in for shared state (RELIABILITY.md says which): the
 * WeChat access token (stable_token hands every instance the same token) and the duplicate-code
 * guard (a code sent to two instances at once then costs one CODE_USED, which the SDK retries).
 * What was written locally is not copied back when the shared cache returns: every entry is
 * short-lived and recomputable.
 */
export class LocalFallbackCache implements Cache {
  readonly #shared: Cache;
  readonly #local: Cache;
  readonly #onFallback: (err: unknown) => void;

  /** `onFallback` hears each operation that fell back (metrics; log on the first). */
  constructor(shared: Cache, options: { local?: Cache; onFallback?: (err: unknown) => void } = {}) {
    this.#shared = shared;
    this.#local = options.local ?? new MemoryCache();
    this.#onFallback = options.onFallback ?? (() => {});
  }

  async #either<T>(op: (cache: Cache) => Promise<T>): Promise<T> {
    try {
      return await op(this.#shared);
    } catch (err) {
      if (!isCacheUnavailable(err)) throw err;
      this.#onFallback(err);
      return op(this.#local);
    }
  }

  get(key: string) {
    return this.#either((c) => c.get(key));
  }
  set(key: string, value: string, ttlMs: number) {
    return this.#either((c) => c.set(key, value, ttlMs));
  }
  delete(key: string) {
    return this.#either((c) => c.delete(key));
  }
  setIfAbsent(key: string, value: string, ttlMs: number) {
    return this.#either((c) => c.setIfAbsent(key, value, ttlMs));
  }
  compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number) {
    return this.#either((c) => c.compareAndSet(key, expected, value, ttlMs));
  }
  incr(key: string, ttlMs: number) {
    return this.#either((c) => c.incr(key, ttlMs));
  }
  deleteIfEquals(key: string, value: string) {
    return this.#either((c) => c.deleteIfEquals(key, value));
  }
  /** The shared cache's health: readiness reports it even while requests are served locally. */
  ping() {
    return this.#shared.ping();
  }
  /** The shared cache is owned by whoever opened it; only the local one ends here. */
  close() {
    return this.#local.close();
  }
}
