import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCache } from '../../src/cache/index.ts';
import { cacheContract } from './cache-contract.ts';

// One process is one backend: every "instance" shares this object, on a clock tests move.
let now = 1_700_000_000_000;
const shared = new MemoryCache({ now: () => now });
cacheContract('MemoryCache', {
  create: () => shared,
  advance: async (ms) => {
    now += ms;
  },
});

describe('MemoryCache', () => {
  it('expires exactly at the ttl on its clock', async () => {
    let t = 0;
    const cache = new MemoryCache({ now: () => t });
    await cache.set('k', 'v', 1000);
    t = 999;
    assert.equal(await cache.get('k'), 'v');
    t = 1000;
    assert.equal(await cache.get('k'), undefined);
  });

  it('forgets everything on close', async () => {
    const cache = new MemoryCache();
    await cache.set('k', 'v', 60_000);
    await cache.close();
    assert.equal(await cache.get('k'), undefined);
  });

  it('keeps live entries through the periodic sweep of expired ones', async () => {
    let t = 0;
    const cache = new MemoryCache({ now: () => t });
    await cache.set('long', 'kept', 1_000_000);
    for (let i = 0; i < 2500; i++) await cache.set(`short-${i}`, 'x', 10);
    t = 100;
    for (let i = 0; i < 1000; i++) await cache.set(`later-${i}`, 'y', 10);
    assert.equal(await cache.get('long'), 'kept');
    assert.equal(await cache.get('later-999'), 'y');
    assert.equal(await cache.get('short-0'), undefined);
  });
});
