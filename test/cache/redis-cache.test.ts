import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisCache } from '../../src/cache/index.ts';
import { describeRedis } from '../helpers/redis.ts';
import { cacheContract } from './cache-contract.ts';

describeRedis('RedisCache', (h) => {
  // Each create() is a new connection with the run's prefix: two server instances on one Redis.
  cacheContract('RedisCache', {
    create: () => new RedisCache({ client: h.client(), prefix: h.prefix }),
    advance: (ms) => sleep(ms),
  });

  it('keeps every key under its prefix, invisible to another prefix', async () => {
    const raw = h.client();
    const a = new RedisCache({ client: raw, prefix: `${h.prefix}a:` });
    const b = new RedisCache({ client: h.client(), prefix: `${h.prefix}b:` });
    await a.set('k', 'from-a', 60_000);
    assert.equal(await b.get('k'), undefined);
    assert.equal(await raw.get(`${h.prefix}a:k`), 'from-a');
    const pttl = await raw.pttl(`${h.prefix}a:k`);
    assert.ok(pttl > 59_000 && pttl <= 60_000, `pttl ${pttl}`);
  });

  it('gives a counter created without expiry one on its next increment', async () => {
    const raw = h.client();
    const cache = new RedisCache({ client: raw, prefix: h.prefix });
    await raw.set(`${h.prefix}legacy-counter`, '5');
    assert.equal(await cache.incr('legacy-counter', 60_000), 6);
    assert.ok((await raw.pttl(`${h.prefix}legacy-counter`)) > 0);
  });

  it('close leaves a client it does not own open', async () => {
    const client = h.client();
    await new RedisCache({ client, prefix: h.prefix }).close();
    assert.equal(await client.ping(), 'PONG');
  });
});
