import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryAccessTokenStore } from '../../../src/wechat/index.ts';
import { accessTokenStoreContract } from './token-store-contract.ts';

// One process is one backend: every "instance" of the contract shares this object.
const shared = new MemoryAccessTokenStore();
accessTokenStoreContract('MemoryAccessTokenStore', { create: () => shared });

describe('MemoryAccessTokenStore on an injected clock', () => {
  it('expires tokens and locks by the clock it was given', async () => {
    let now = 1_000_000;
    const store = new MemoryAccessTokenStore({ now: () => now });
    await store.set('wxapp', { accessToken: '70_a', issuedAt: now, expiresAt: now + 1000 });
    const owner = await store.acquireLock('k', 500);
    now += 499;
    assert.equal((await store.get('wxapp'))?.accessToken, '70_a');
    assert.equal(await store.acquireLock('k', 500), undefined);
    now += 1;
    assert.notEqual(await store.acquireLock('k', 500), undefined, 'the lock expired at its ttl');
    now += 500;
    assert.equal(await store.get('wxapp'), undefined, 'the token expired at expiresAt');
    assert.equal(typeof owner, 'string');
  });

  it('returns copies: mutating a result does not change the store', async () => {
    const store = new MemoryAccessTokenStore();
    const now = Date.now();
    await store.set('wxapp', { accessToken: '70_a', issuedAt: now, expiresAt: now + 60_000 });
    const got = await store.get('wxapp');
    if (got) got.accessToken = 'tampered';
    assert.equal((await store.get('wxapp'))?.accessToken, '70_a');
  });
});
