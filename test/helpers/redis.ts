import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { Redis } from 'ioredis';

/**
 * Redis for tests: every suite gets its own key prefix, and its keys are deleted when it ends, so
 * runs can share one server. Unreachable Redis skips the suite locally and fails it under CI.
 */

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const inCI = Boolean(process.env.CI);

export interface RedisHarness {
  readonly url: string;
  /** Unique to this suite, e.g. `wa_test_1a2b3c4d5e6f:`. */
  readonly prefix: string;
  /** A client of the test server, quit after the suite. */
  client(): Redis;
}

/**
 * Fails instead of retrying forever, so an unreachable server is reported, not waited for. A refused
 * connection fails at once; the connect timeout only bounds a server that never answers, and is
 * generous so that a loaded machine is not taken for a missing Redis.
 */
function testRedisClient(): Redis {
  return new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 20_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
}

async function probeRedis(): Promise<string | undefined> {
  const client = testRedisClient();
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return `Redis unreachable at ${TEST_REDIS_URL} (${(err as Error).message}); set TEST_REDIS_URL`;
  } finally {
    client.disconnect();
  }
}

/** Why Redis tests cannot run here, or undefined when they can. Probed once per test file. */
export const redisProblem: string | undefined = await probeRedis();

async function deleteByPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export function describeRedis(name: string, fn: (harness: RedisHarness) => void): void {
  const problem = redisProblem;
  describe(`${name} [redis]`, { skip: problem !== undefined && !inCI ? problem : false }, () => {
    if (problem !== undefined) {
      before(() => {
        throw new Error(`${problem} — CI is set, so this fails instead of skipping`);
      });
    }
    const clients: Redis[] = [];
    const harness: RedisHarness = {
      url: TEST_REDIS_URL,
      prefix: `wa_test_${randomBytes(6).toString('hex')}:`,
      client() {
        const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
        clients.push(client);
        return client;
      },
    };
    after(async () => {
      if (problem !== undefined) return;
      const admin = testRedisClient();
      try {
        await admin.connect();
        await deleteByPrefix(admin, harness.prefix);
      } finally {
        admin.disconnect();
        await Promise.allSettled(clients.map((c) => c.quit()));
      }
    });
    fn(harness);
  });
}
