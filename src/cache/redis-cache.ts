import type { Redis } from 'ioredis';
import { type Cache, CacheError, checkTtl } from './cache.ts';

export const DEFAULT_CACHE_PREFIX = 'weapp-auth:';

// Each script is one atomic step on the server: no other client's command runs in between.

/** The count, and an expiry for a counter that has none (new, or created without one). */
const INCR = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** ARGV: expected-present flag, expected value, new value, ttl. GET answers false when absent. */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`;

/**
 * Redis replies that mean "cannot serve now" rather than "this command is wrong": still loading
 * its data, a replica during failover, out of memory, busy with a script.
 */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|OOM|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

/**
 * A command's failure as the cache contract names it: a reply about the command stays as it is
 * (a bug to see), anything about reaching Redis (closed connection, command timeout, offline
 * with the offline queue disabled, retries exhausted) becomes CacheError `UNAVAILABLE`.
 */
async function guard<T>(command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (err) {
    const isReply = err instanceof Error && err.name === 'ReplyError';
    if (isReply && !UNAVAILABLE_REPLY.test(err.message)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new CacheError('UNAVAILABLE', `Redis did not serve the command: ${reason}`, { cause: err });
  }
}

export interface RedisCacheOptions {
  client: Redis;
  /** Namespaces every key, so several deployments (or test runs) can share one Redis. */
  prefix?: string | undefined;
  /** Quit the client on close (true when openCache created it). */
  ownsClient?: boolean | undefined;
}

/** The Cache in Redis, shared by every instance of the server. */
export class RedisCache implements Cache {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #ownsClient: boolean;

  constructor(options: RedisCacheOptions) {
    this.#client = options.client;
    this.#prefix = options.prefix ?? DEFAULT_CACHE_PREFIX;
    this.#ownsClient = options.ownsClient ?? false;
  }

  #key(key: string): string {
    return this.#prefix + key;
  }

  async get(key: string): Promise<string | undefined> {
    return (await guard(this.#client.get(this.#key(key)))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    await guard(this.#client.set(this.#key(key), value, 'PX', ttlMs));
  }

  async delete(key: string): Promise<void> {
    await guard(this.#client.del(this.#key(key)));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    return (await guard(this.#client.set(this.#key(key), value, 'PX', ttlMs, 'NX'))) === 'OK';
  }

  async compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const present = expected === undefined ? '0' : '1';
    const script = this.#client.eval(COMPARE_AND_SET, 1, this.#key(key), present, expected ?? '', value, ttlMs);
    return (await guard(script)) === 1;
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    checkTtl(ttlMs);
    try {
      return Number(await guard(this.#client.eval(INCR, 1, this.#key(key), ttlMs)));
    } catch (err) {
      if (err instanceof Error && /not an integer/.test(err.message)) {
        throw new CacheError('NOT_AN_INTEGER', `The value at "${key}" is not an integer.`, { cause: err });
      }
      throw err;
    }
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return (await guard(this.#client.eval(DELETE_IF_EQUALS, 1, this.#key(key), value))) === 1;
  }

  async ping(): Promise<void> {
    await guard(this.#client.ping());
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#client.quit();
  }
}
