/**
 * Short-lived state shared by every instance of the server: access tokens, locks, rate-limit
 * counters, in-flight markers. Values are strings (callers JSON-encode) and every key expires:
 * nothing here is durable, losing it all costs at most a refetch.
 */
export interface Cache {
  /** The value, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlMs`, replacing any value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Stores `value` only when the key is absent; true when it did (taking a lock). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Stores `value` only when the key currently holds `expected` (undefined: is absent); true when
   * it did. The building block for read-check-write updates two instances may race on.
   */
  compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Adds one and returns the new count. The window is fixed: `ttlMs` applies when the counter is
   * created, so steady traffic cannot keep a rate-limit window open forever. Rejects when the key
   * holds something other than an integer.
   */
  incr(key: string, ttlMs: number): Promise<number>;
  /** Deletes the key only when it holds `value`; true when it did (releasing one's own lock). */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /** Resolves when the cache answers (readiness); rejects with CacheError `UNAVAILABLE` when not. */
  ping(): Promise<void>;
  /** Releases connections; the cache is unusable afterwards. */
  close(): Promise<void>;
}

/** A TTL is a programmer's constant, so a bad one is a TypeError, not a runtime condition. */
export function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new TypeError(`ttlMs must be a positive whole number of milliseconds (got ${ttlMs})`);
  }
}

/**
 * `UNAVAILABLE`: the cache server is down, unreachable, or did not answer within the command
 * timeout. Each use decides what that means (see RELIABILITY.md): fall back to this process, or
 * refuse with 503 CACHE_UNAVAILABLE.
 */
export type CacheErrorCode = 'INVALID_CACHE_URL' | 'LOCK_TIMEOUT' | 'NOT_AN_INTEGER' | 'UNAVAILABLE';

export class CacheError extends Error {
  override readonly name = 'CacheError';
  readonly code: CacheErrorCode;

  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isCacheUnavailable(err: unknown): boolean {
  return err instanceof CacheError && err.code === 'UNAVAILABLE';
}
