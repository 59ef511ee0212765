import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type Cache, CacheAccessTokenStore, MemoryCache, RedisCache } from '../../src/cache/index.ts';
import { describeRedis } from '../helpers/redis.ts';
import { accessTokenStoreContract } from '../wechat/client/token-store-contract.ts';

/** Answers arriving in any order from racing writers: the newest issuedAt must be what stays. */
function sequenceGuardRace(caches: () => Cache[]): void {
  it('of racing writers in shuffled order, the newest token stays', async () => {
    const stores = caches().map((cache) => new CacheAccessTokenStore(cache));
    const appid = `wx${randomBytes(8).toString('hex')}`;
    const now = Date.now();
    const order = Array.from({ length: 30 }, (_, i) => i).sort(() => Math.random() - 0.5);
    const results = await Promise.all(
      order.map((i) =>
        stores[i % stores.length]!.set(appid, { accessToken: `70_${i}`, issuedAt: now + i, expiresAt: now + 60_000 }),
      ),
    );
    assert.equal(results[order.indexOf(29)], true, 'the newest was stored');
    assert.equal((await stores[0]!.get(appid))?.accessToken, '70_29');
  });
}

// The wechat client's own contract, on the Cache-backed store: memory (one backend per process)…
const shared = new MemoryCache();
accessTokenStoreContract('CacheAccessTokenStore on MemoryCache', { create: () => new CacheAccessTokenStore(shared) });

// …and Redis, each create() a new connection, as separate server instances would have.
describeRedis('CacheAccessTokenStore', (h) => {
  accessTokenStoreContract('CacheAccessTokenStore on RedisCache', {
    create: () => new CacheAccessTokenStore(new RedisCache({ client: h.client(), prefix: h.prefix })),
  });
  sequenceGuardRace(() => [1, 2, 3].map(() => new RedisCache({ client: h.client(), prefix: h.prefix })));
});

describe('CacheAccessTokenStore', () => {
  sequenceGuardRace(() => [shared]);

  it('treats an unreadable entry as none, and replaces it', async () => {
    const cache = new MemoryCache();
    const store = new CacheAccessTokenStore(cache);
    await cache.set('wechat:access-token:wxapp', '{not json', 60_000);
    assert.equal(await store.get('wxapp'), undefined);
    const now = Date.now();
    assert.equal(await store.set('wxapp', { accessToken: '70_a', issuedAt: now, expiresAt: now + 60_000 }), true);
    assert.equal((await store.get('wxapp'))?.accessToken, '70_a');
  });

  it('expires the entry at expiresAt on the clock it shares with the cache', async () => {
    let now = 1_000_000;
    const cache = new MemoryCache({ now: () => now });
    const store = new CacheAccessTokenStore(cache, { now: () => now });
    await store.set('wxapp', { accessToken: '70_a', issuedAt: now, expiresAt: now + 1000 });
    now += 999;
    assert.equal((await store.get('wxapp'))?.accessToken, '70_a');
    now += 1;
    assert.equal(await store.get('wxapp'), undefined);
  });
});
