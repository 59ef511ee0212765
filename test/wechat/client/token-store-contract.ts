import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AccessTokenManager,
  type AccessTokenResult,
  type AccessTokenSource,
  type AccessTokenStore,
  type StoredAccessToken,
} from '../../../src/wechat/index.ts';

export interface AccessTokenStoreContractOptions {
  /**
   * A store on the real clock. Every call must return a store on the same backend, as separate
   * instances of the server would have (a new client of the same Redis; for the in-memory store,
   * the same object). Every test uses fresh random appids and lock keys, so no cleanup is needed.
   */
  create: () => AccessTokenStore | Promise<AccessTokenStore>;
  /** Called once after the suite with every store `create` returned (close connections here). */
  destroy?: (stores: AccessTokenStore[]) => void | Promise<void>;
}

const uniqueAppid = () => `wx${randomBytes(8).toString('hex')}`;
const uniqueKey = () => `contract:lock:${randomBytes(8).toString('hex')}`;

function entry(accessToken: string, issuedAt: number, lifetimeMs = 7_200_000): StoredAccessToken {
  return { accessToken, issuedAt, expiresAt: issuedAt + lifetimeMs };
}

/** Polls `check` until it holds or 30 s pass; asserts that it eventually holds (no timing is asserted). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `never happened: ${what}`);
    await sleep(20);
  }
}

/**
 * The behaviour every AccessTokenStore must have. Run it against each implementation:
 *
 *   accessTokenStoreContract('RedisAccessTokenStore', { create: () => new RedisAccessTokenStore(redis) });
 */
export function accessTokenStoreContract(name: string, options: AccessTokenStoreContractOptions): void {
  describe(`AccessTokenStore contract: ${name}`, () => {
    const stores: AccessTokenStore[] = [];
    let store: AccessTokenStore;
    const newStore = async () => {
      const created = await options.create();
      stores.push(created);
      return created;
    };

    before(async () => {
      store = await newStore();
    });
    after(async () => {
      await options.destroy?.(stores);
    });

    describe('tokens', () => {
      it('get is undefined for an appid never set', async () => {
        assert.equal(await store.get(uniqueAppid()), undefined);
      });

      it('set then get returns the same entry', async () => {
        const appid = uniqueAppid();
        const token = entry('70_first', Date.now());
        assert.equal(await store.set(appid, token), true);
        assert.deepEqual(await store.get(appid), token);
      });

      it('entries of different appids are independent', async () => {
        const [a, b] = [uniqueAppid(), uniqueAppid()];
        await store.set(a, entry('70_a', Date.now()));
        await store.set(b, entry('70_b', Date.now()));
        assert.equal((await store.get(a))?.accessToken, '70_a');
        assert.equal((await store.get(b))?.accessToken, '70_b');
      });

      it('a newer issuedAt replaces the entry', async () => {
        const appid = uniqueAppid();
        const now = Date.now();
        await store.set(appid, entry('70_old', now));
        assert.equal(await store.set(appid, entry('70_new', now + 1)), true);
        assert.equal((await store.get(appid))?.accessToken, '70_new');
      });

      it('sequence guard: an older or equally old answer never overwrites a newer token', async () => {
        const appid = uniqueAppid();
        const now = Date.now();
        await store.set(appid, entry('70_newer', now));
        assert.equal(await store.set(appid, entry('70_older', now - 1000)), false);
        assert.equal(await store.set(appid, entry('70_same_age', now)), false);
        assert.deepEqual(await store.get(appid), entry('70_newer', now));
      });

      it('an already expired entry is not stored', async () => {
        const appid = uniqueAppid();
        assert.equal(
          await store.set(appid, { accessToken: '70_dead', issuedAt: Date.now() - 10_000, expiresAt: Date.now() - 1 }),
          false,
        );
        assert.equal(await store.get(appid), undefined);
      });

      it('an entry disappears by itself once it expires', async () => {
        const appid = uniqueAppid();
        const now = Date.now();
        assert.equal(await store.set(appid, { accessToken: '70_brief', issuedAt: now, expiresAt: now + 150 }), true);
        await eventually(async () => (await store.get(appid)) === undefined, 'the expired token vanished');
      });

      it('after the entry expired, any newer token may be stored', async () => {
        const appid = uniqueAppid();
        const now = Date.now();
        await store.set(appid, { accessToken: '70_brief', issuedAt: now, expiresAt: now + 100 });
        await eventually(async () => (await store.get(appid)) === undefined, 'the expired token vanished');
        assert.equal(await store.set(appid, entry('70_next', Date.now())), true);
      });

      it('two store objects on the same backend see each other (instances share tokens)', async () => {
        const other = await newStore();
        const appid = uniqueAppid();
        await store.set(appid, entry('70_shared', Date.now()));
        assert.equal((await other.get(appid))?.accessToken, '70_shared');
      });
    });

    describe('locks', () => {
      it('one holder at a time; the owner string releases it', async () => {
        const key = uniqueKey();
        const owner = await store.acquireLock(key, 10_000);
        assert.equal(typeof owner, 'string');
        assert.equal(await store.acquireLock(key, 10_000), undefined);
        await store.releaseLock(key, 'not-the-owner');
        assert.equal(await store.acquireLock(key, 10_000), undefined, 'a stranger cannot release it');
        await store.releaseLock(key, owner as string);
        const next = await store.acquireLock(key, 10_000);
        assert.equal(typeof next, 'string');
        assert.notEqual(next, owner);
      });

      it('of many concurrent acquirers exactly one wins', async () => {
        const key = uniqueKey();
        const others = await Promise.all([newStore(), newStore()]);
        const attempts = Array.from({ length: 30 }, (_, i) => [store, ...others][i % 3]!.acquireLock(key, 10_000));
        const owners = (await Promise.all(attempts)).filter((o) => o !== undefined);
        assert.equal(owners.length, 1);
      });

      it('different keys are independent', async () => {
        assert.notEqual(await store.acquireLock(uniqueKey(), 10_000), undefined);
        assert.notEqual(await store.acquireLock(uniqueKey(), 10_000), undefined);
      });

      it('an unreleased lock frees itself after its ttl, and the old owner cannot release the new one', async () => {
        const key = uniqueKey();
        const first = await store.acquireLock(key, 100);
        assert.notEqual(first, undefined);
        let second: string | undefined;
        await eventually(async () => {
          second = await store.acquireLock(key, 10_000);
          return second !== undefined;
        }, 'the lock expired');
        await store.releaseLock(key, first as string);
        assert.equal(await store.acquireLock(key, 10_000), undefined, 'the stale owner released the new holder');
      });
    });

    describe('with AccessTokenManager', () => {
      it('two instances on this store fetch once for 2 × 50 concurrent cold callers', async () => {
        let fetches = 0;
        const source: AccessTokenSource = {
          async getStableAccessToken(): Promise<AccessTokenResult> {
            fetches++;
            await sleep(30);
            return { accessToken: `70_contract${fetches}`, expiresIn: 7200 };
          },
          async getAccessToken(): Promise<AccessTokenResult> {
            throw new Error('the stable endpoint is the default');
          },
        };
        const appid = uniqueAppid();
        const instances = [await newStore(), await newStore()].map(
          (shared) =>
            new AccessTokenManager({
              client: source,
              secrets: { [appid]: 'secret-secret' },
              store: shared,
              lockPollMs: 5,
            }),
        );
        const tokens = await Promise.all(
          Array.from({ length: 100 }, (_, i) => instances[i % 2]!.getAccessToken(appid)),
        );
        assert.equal(fetches, 1);
        assert.deepEqual(new Set(tokens), new Set(['70_contract1']));
      });
    });
  });
}
