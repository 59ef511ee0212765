import { type Cache, CacheError } from './cache.ts';
import { MemoryCache } from './memory-cache.ts';
import { RedisCache } from './redis-cache.ts';
import { newRedisClient } from './redis-client.ts';

export interface OpenCacheOptions {
  /** `redis://` or `rediss://`; without one the cache lives in this process. */
  url?: string | undefined;
  /** Key namespace in Redis (default `weapp-auth:`). */
  prefix?: string | undefined;
  /** MemoryCache only: the clock expiry follows (epoch ms). */
  now?: (() => number) | undefined;
  /**
   * Redis only: the longest a command may wait, connecting included (default 1000 ms). A command
   * issued while Redis is away fails at once: a request must not queue behind a reconnect.
   */
  timeoutMs?: number | undefined;
  /** Redis only: where connection errors go after start (ioredis reconnects by itself; default: stderr). */
  onError?: ((err: Error) => void) | undefined;
}

/** ioredis settings for a client that must never stall a request: see STYLE.md "Staying up". */
export function boundedRedisOptions(timeoutMs = 1000) {
  return {
    lazyConnect: true,
    // Commands issued in one event-loop turn (a login's lock, a rate-limit count, another login's
    // result) go out in one write: measured on the --workers 1 login rows with Redis, 5-15 % less
    // of the server's CPU per login (three alternating rounds each, SQLite and PostgreSQL).
    enableAutoPipelining: true,
    connectTimeout: Math.max(timeoutMs, 1000),
    commandTimeout: timeoutMs,
    // Offline: fail the command now (the caller falls back or answers 503) instead of queueing it.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Reconnect for ever, every 50 ms growing to 2 s: Redis coming back is noticed within seconds.
    retryStrategy: (times: number) => Math.min(times * 50, 2000),
  } as const;
}

/**
 * Redis when a URL is given, else memory. The Redis connection is made here, so a wrong URL or a
 * down server fails at start instead of on the first login.
 */
export async function openCache(options: OpenCacheOptions = {}): Promise<Cache> {
  const { url } = options;
  if (url === undefined || url === '') return new MemoryCache({ now: options.now });
  if (!/^rediss?:\/\//.test(url)) {
    throw new CacheError('INVALID_CACHE_URL', 'The cache URL must start with redis:// or rediss://.');
  }
  const client = await newRedisClient(url, boundedRedisOptions(options.timeoutMs));
  // A failed first connection is reported by the throw below, not a second time as an event.
  const quiet = () => {};
  client.on('error', quiet);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw err;
  }
  client.off('error', quiet);
  // Without a handler ioredis prints "Unhandled error event" on every reconnect attempt.
  client.on('error', options.onError ?? ((err) => console.error(`redis: ${err.message}`)));
  return new RedisCache({ client, prefix: options.prefix, ownsClient: true });
}
