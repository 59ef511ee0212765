import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CacheError, MemoryCache, openCache, RedisCache } from '../../src/cache/index.ts';
import { describeRedis } from '../helpers/redis.ts';

describe('openCache', () => {
  it('lives in memory without a URL, on the clock given', async () => {
    let now = 0;
    const cache = await openCache({ now: () => now });
    assert.ok(cache instanceof MemoryCache);
    await cache.set('k', 'v', 10);
    now = 10;
    assert.equal(await cache.get('k'), undefined);
    assert.ok((await openCache({ url: '' })) instanceof MemoryCache);
  });

  it('refuses a URL that is not redis:// or rediss://', async () => {
    await assert.rejects(
      openCache({ url: 'http://127.0.0.1:6379' }),
      (err: unknown) =>
        err instanceof CacheError && err.code === 'INVALID_CACHE_URL' && /redis:\/\/ or rediss:\/\//.test(err.message),
    );
  });

  it('fails at start when Redis cannot be reached', async () => {
    await assert.rejects(openCache({ url: 'redis://127.0.0.1:1' }));
  });
});

describeRedis('openCache', (h) => {
  it('connects to Redis with the prefix given, and close quits its connection', async () => {
    const cache = await openCache({ url: h.url, prefix: h.prefix });
    assert.ok(cache instanceof RedisCache);
    await cache.set('opened', 'yes', 60_000);
    assert.equal(await h.client().get(`${h.prefix}opened`), 'yes');
    await cache.close();
    await assert.rejects(cache.get('opened'));
  });
});
