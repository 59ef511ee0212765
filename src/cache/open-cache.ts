import { Redis } from 'ioredis';
import { type Cache, CacheError } from './cache.ts';
import { MemoryCache } from './memory-cache.ts';
import { RedisCache } from './redis-cache.ts';

export interface OpenCacheOptions {
  /** `redis://` or `rediss://`; without one the cache lives in this process. */
  url?: string | undefined;
  /** Key namespace in Redis (default `weapp-auth:`). */
  prefix?: string | undefined;
  /** MemoryCache only: the clock expiry follows (epoch ms). */
  now?: (() => number) | undefined;
  /** Redis only: where connection errors go after start (ioredis reconnects by itself; default: stderr). */
  onError?: ((err: Error) => void) | undefined;
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
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    // A request waiting on a cache that is down should fail soon, not after 20 reconnects.
    maxRetriesPerRequest: 2,
  });
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
  // Without a handler ioredis prints later errors itself rather than letting them pass unseen.
  if (options.onError) client.on('error', options.onError);
  return new RedisCache({ client, prefix: options.prefix, ownsClient: true });
}
