import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Cache, CacheError, LocalFallbackCache, MemoryCache } from '../../src/cache/index.ts';

/** A shared cache that is away: every operation fails as RedisCache does while Redis is down. */
function downCache(error: Error = new CacheError('UNAVAILABLE', 'Redis did not serve the command')): Cache {
  const fail = async () => {
    throw error;
  };
  return {
    get: fail,
    set: fail,
    delete: fail,
    setIfAbsent: fail,
    compareAndSet: fail,
    incr: fail,
    deleteIfEquals: fail,
    ping: fail,
    close: async () => {},
  };
}

describe('LocalFallbackCache', () => {
  it('serves from the shared cache while it answers', async () => {
    const shared = new MemoryCache();
    const cache = new LocalFallbackCache(shared);
    await cache.set('k', 'v', 1000);
    assert.equal(await shared.get('k'), 'v');
    await cache.ping();
  });

  it('serves from this process while the shared cache is unavailable, counting each fallback', async () => {
    let fallbacks = 0;
    const cache = new LocalFallbackCache(downCache(), { onFallback: () => fallbacks++ });
    assert.equal(await cache.setIfAbsent('lock', 'me', 1000), true);
    assert.equal(await cache.setIfAbsent('lock', 'you', 1000), false);
    assert.equal(await cache.get('lock'), 'me');
    assert.equal(await cache.incr('n', 1000), 1);
    assert.equal(await cache.compareAndSet('lock', 'me', 'next', 1000), true);
    assert.equal(await cache.deleteIfEquals('lock', 'next'), true);
    assert.equal(fallbacks, 6);
    // Readiness still tells the truth about the shared cache.
    await assert.rejects(cache.ping(), { code: 'UNAVAILABLE' });
  });

  it('lets every other error through: a bug is not an outage', async () => {
    const cache = new LocalFallbackCache(downCache(new CacheError('NOT_AN_INTEGER', 'not a number')));
    await assert.rejects(cache.incr('n', 1000), { code: 'NOT_AN_INTEGER' });
    await assert.rejects(cache.get('k'), { code: 'NOT_AN_INTEGER' });
  });
});
