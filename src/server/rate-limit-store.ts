import { createRequire } from 'node:module';
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

/** The store contract of @fastify/rate-limit (its own stores are plain constructors, untyped). */
type Counted = { current: number; ttl: number };
type Callback = (err: Error | null, result?: Counted) => void;
interface RateLimitStore {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
  read(key: string, cb: Callback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): RateLimitStore;
}
type StoreConstructor = new (...args: unknown[]) => RateLimitStore;

const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as StoreConstructor;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as StoreConstructor;

/**
 * Rate limits counted in Redis so every instance counts the same client, and counted in this
 * process while Redis is away: a limit per instance is weaker than a shared one, but far better
 * than none (the plugin's skipOnError) and it never turns a Redis outage into failed logins.
 */
class RedisWithLocalFallback implements RateLimitStore {
  constructor(
    readonly redis: Redis,
    readonly shared: RateLimitStore,
    readonly local: RateLimitStore,
    readonly onFallback: () => void,
  ) {}

  incr(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.#either('incr', key, cb, timeWindow, max);
  }

  read(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.#either('read', key, cb, timeWindow, max);
  }

  child(routeOptions: unknown): RateLimitStore {
    const { redis, shared, local, onFallback } = this;
    return new RedisWithLocalFallback(redis, shared.child(routeOptions), local.child(routeOptions), onFallback);
  }

  #either(method: 'incr' | 'read', key: string, cb: Callback, timeWindow: number, max: number): void {
    const local = () => {
      this.onFallback();
      this.local[method](key, cb, timeWindow, max);
    };
    // Not connected: don't even try (the command would fail at once anyway).
    if (this.redis.status !== 'ready') {
      local();
      return;
    }
    this.shared[method](key, (err, result) => (err ? local() : cb(null, result)), timeWindow, max);
  }
}

/** The `store` option of @fastify/rate-limit: a constructor the plugin calls with its settings. */
export function rateLimitStore(redis: Redis, nameSpace: string, onFallback: () => void): FastifyRateLimitStoreCtor {
  return class {
    constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      const { continueExceeding = false, exponentialBackoff = false } = params;
      // biome-ignore lint/correctness/noConstructorReturn: the plugin takes whatever `new` gives
      return new RedisWithLocalFallback(
        redis,
        new RedisStore(continueExceeding, exponentialBackoff, redis, nameSpace),
        new LocalStore(continueExceeding, exponentialBackoff, 5000),
        onFallback,
      );
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
