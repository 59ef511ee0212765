import type { Redis, RedisOptions } from 'ioredis';

/**
 * A new ioredis client, the module loaded the first time one is made: a server without REDIS_URL
 * never loads ioredis (~2 MB of heap it would carry for nothing).
 */
export async function newRedisClient(url: string, options: RedisOptions): Promise<Redis> {
  const { Redis } = await import('ioredis');
  return new Redis(url, options);
}
