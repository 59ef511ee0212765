import { type Cache, CacheError, checkTtl } from './cache.ts';

interface Entry {
  value: string;
  expiresAt: number;
}

/** How many writes between sweeps of expired entries. */
const SWEEP_EVERY = 1000;

/**
 * The Cache in this process's memory: the default for one instance. Several instances each have
 * their own, so locks and counters are per instance — use Redis as soon as there are two.
 * Expiry follows the injected clock, and expired entries are swept every so many writes rather
 * than by a timer, so nothing keeps the process alive and tests can move time by hand.
 */
export class MemoryCache implements Cache {
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #writes = 0;

  /** `now` (epoch ms) lets tests move time. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  #read(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #write(key: string, value: string, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    if (++this.#writes % SWEEP_EVERY === 0) {
      const now = this.#now();
      for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(k);
    }
  }

  async get(key: string): Promise<string | undefined> {
    return this.#read(key)?.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    this.#write(key, value, ttlMs);
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.compareAndSet(key, undefined, value, ttlMs);
  }

  async compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    if (this.#read(key)?.value !== expected) return false;
    this.#write(key, value, ttlMs);
    return true;
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    checkTtl(ttlMs);
    const entry = this.#read(key);
    if (!entry) {
      this.#write(key, '1', ttlMs);
      return 1;
    }
    if (!/^-?\d+$/.test(entry.value)) {
      throw new CacheError('NOT_AN_INTEGER', `The value at "${key}" is not an integer.`);
    }
    const count = Number(entry.value) + 1;
    entry.value = String(count);
    return count;
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (this.#read(key)?.value !== value) return false;
    this.#entries.delete(key);
    return true;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
