import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Cache, CacheError, withLock } from '../../src/cache/index.ts';

export interface CacheContractOptions {
  /**
   * A cache on the backend under test. Every call must return one on the same backend, as two
   * instances of the server would have (a new Redis client with the same prefix; for memory, the
   * same object). Closing them is the caller's business.
   */
  create: () => Cache | Promise<Cache>;
  /** Lets `ms` pass for the cache: moves a fake clock, or sleeps for a real backend. */
  advance: (ms: number) => Promise<void>;
}

let counter = 0;
const unique = (what: string) => `contract:${what}:${process.pid}:${Date.now()}:${++counter}`;

function isCacheError(code: string) {
  return (err: unknown) => err instanceof CacheError && err.code === code;
}

/** The behaviour every Cache must have, written once and run against each implementation. */
export function cacheContract(name: string, options: CacheContractOptions): void {
  describe(`Cache contract: ${name}`, () => {
    const TTL = 200;

    it('get, set, replace and delete', async () => {
      const cache = await options.create();
      const key = unique('basic');
      assert.equal(await cache.get(key), undefined);
      await cache.set(key, 'one', 60_000);
      assert.equal(await cache.get(key), 'one');
      await cache.set(key, 'two', 60_000);
      assert.equal(await cache.get(key), 'two');
      await cache.delete(key);
      assert.equal(await cache.get(key), undefined);
      await cache.delete(key);
    });

    it('property: any key and value round-trip unchanged', async () => {
      const cache = await options.create();
      await fc.assert(
        fc.asyncProperty(
          fc.string({ unit: 'grapheme', minLength: 1 }),
          fc.string({ unit: 'grapheme' }),
          async (k, v) => {
            const key = `${unique('any')}:${k}`;
            await cache.set(key, v, 60_000);
            assert.equal(await cache.get(key), v);
          },
        ),
        { numRuns: 50 },
      );
    });

    it('entries expire after their ttl', async () => {
      const cache = await options.create();
      const key = unique('expiry');
      await cache.set(key, 'brief', TTL);
      assert.equal(await cache.get(key), 'brief');
      await options.advance(TTL + 50);
      assert.equal(await cache.get(key), undefined);
    });

    it('two caches on the same backend see each other', async () => {
      const [a, b] = [await options.create(), await options.create()];
      const key = unique('shared');
      await a.set(key, 'seen', 60_000);
      assert.equal(await b.get(key), 'seen');
      assert.equal(await b.deleteIfEquals(key, 'seen'), true);
      assert.equal(await a.get(key), undefined);
    });

    it('setIfAbsent stores only when absent, and again after expiry', async () => {
      const cache = await options.create();
      const key = unique('nx');
      assert.equal(await cache.setIfAbsent(key, 'first', TTL), true);
      assert.equal(await cache.setIfAbsent(key, 'second', TTL), false);
      assert.equal(await cache.get(key), 'first');
      await options.advance(TTL + 50);
      assert.equal(await cache.setIfAbsent(key, 'third', TTL), true);
      assert.equal(await cache.get(key), 'third');
    });

    it('of many concurrent setIfAbsent on one key exactly one wins', async () => {
      const caches = [await options.create(), await options.create()];
      const key = unique('nx-race');
      const won = await Promise.all(
        Array.from({ length: 30 }, (_, i) => caches[i % 2]!.setIfAbsent(key, `owner-${i}`, 60_000)),
      );
      assert.equal(won.filter(Boolean).length, 1);
      assert.equal(await caches[0]!.get(key), `owner-${won.indexOf(true)}`);
    });

    it('compareAndSet writes only over the expected value (undefined: absent)', async () => {
      const cache = await options.create();
      const key = unique('cas');
      assert.equal(await cache.compareAndSet(key, 'ghost', 'x', 60_000), false, 'absent is not "ghost"');
      assert.equal(await cache.get(key), undefined);
      assert.equal(await cache.compareAndSet(key, undefined, 'v1', 60_000), true);
      assert.equal(await cache.compareAndSet(key, undefined, 'v1b', 60_000), false, 'present is not absent');
      assert.equal(await cache.compareAndSet(key, 'v0', 'v2', 60_000), false);
      assert.equal(await cache.compareAndSet(key, 'v1', 'v2', 60_000), true);
      assert.equal(await cache.get(key), 'v2');
      assert.equal(await cache.compareAndSet(key, '', 'v3', 60_000), false, 'the empty string is a value, not absence');
      await cache.set(key, '', 60_000);
      assert.equal(await cache.compareAndSet(key, undefined, 'v3', 60_000), false);
      assert.equal(await cache.compareAndSet(key, '', 'v3', 60_000), true);
    });

    it('compareAndSet sets the ttl of what it writes', async () => {
      const cache = await options.create();
      const key = unique('cas-ttl');
      await cache.set(key, 'old', 60_000);
      assert.equal(await cache.compareAndSet(key, 'old', 'new', TTL), true);
      await options.advance(TTL + 50);
      assert.equal(await cache.get(key), undefined);
    });

    it('of concurrent compareAndSet from one expected value exactly one wins', async () => {
      const caches = [await options.create(), await options.create()];
      const key = unique('cas-race');
      await caches[0]!.set(key, 'base', 60_000);
      const won = await Promise.all(
        Array.from({ length: 20 }, (_, i) => caches[i % 2]!.compareAndSet(key, 'base', `next-${i}`, 60_000)),
      );
      assert.equal(won.filter(Boolean).length, 1);
    });

    it('incr counts from 1 in a fixed window that later increments do not extend', async () => {
      const cache = await options.create();
      const key = unique('incr');
      assert.equal(await cache.incr(key, TTL), 1);
      assert.equal(await cache.incr(key, TTL), 2);
      await options.advance(TTL / 2);
      assert.equal(await cache.incr(key, TTL), 3);
      await options.advance(TTL / 2 + 50);
      assert.equal(await cache.incr(key, TTL), 1, 'the window closed ttl after the first increment');
    });

    it('concurrent incr never loses a count', async () => {
      const caches = [await options.create(), await options.create()];
      const key = unique('incr-race');
      const counts = await Promise.all(Array.from({ length: 50 }, (_, i) => caches[i % 2]!.incr(key, 60_000)));
      assert.deepEqual(
        counts.sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });

    it('incr on a value that is not an integer rejects with NOT_AN_INTEGER', async () => {
      const cache = await options.create();
      const key = unique('incr-text');
      await cache.set(key, 'ten', 60_000);
      await assert.rejects(cache.incr(key, 60_000), isCacheError('NOT_AN_INTEGER'));
      assert.equal(await cache.get(key), 'ten');
      await cache.set(key, '41', 60_000);
      assert.equal(await cache.incr(key, 60_000), 42);
    });

    it('deleteIfEquals deletes only the expected value', async () => {
      const cache = await options.create();
      const key = unique('cad');
      assert.equal(await cache.deleteIfEquals(key, 'x'), false);
      await cache.set(key, 'mine', 60_000);
      assert.equal(await cache.deleteIfEquals(key, 'theirs'), false);
      assert.equal(await cache.get(key), 'mine');
      assert.equal(await cache.deleteIfEquals(key, 'mine'), true);
      assert.equal(await cache.get(key), undefined);
    });

    it('refuses a ttl that is not a positive whole number of milliseconds', async () => {
      const cache = await options.create();
      const key = unique('ttl');
      for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await assert.rejects(cache.set(key, 'v', ttl), TypeError);
        await assert.rejects(cache.setIfAbsent(key, 'v', ttl), TypeError);
        await assert.rejects(cache.compareAndSet(key, undefined, 'v', ttl), TypeError);
        await assert.rejects(cache.incr(key, ttl), TypeError);
      }
      assert.equal(await cache.get(key), undefined);
    });

    describe('withLock', () => {
      it('runs holders one at a time across caches and releases after each', async () => {
        const caches = [await options.create(), await options.create()];
        const key = unique('lock');
        let inside = 0;
        let most = 0;
        const order: number[] = [];
        await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            withLock(
              caches[i % 2]!,
              key,
              5000,
              async () => {
                most = Math.max(most, ++inside);
                await new Promise((resolve) => setTimeout(resolve, 5));
                order.push(i);
                inside--;
              },
              { retryMs: 2 },
            ),
          ),
        );
        assert.equal(most, 1);
        assert.equal(order.length, 6);
        assert.equal(await caches[0]!.get(key), undefined);
      });

      it('gives up with LOCK_TIMEOUT while another holds the lock, and releases on a throw', async () => {
        const cache = await options.create();
        const key = unique('lock-busy');
        await assert.rejects(
          withLock(cache, key, 5000, async () => {
            await assert.rejects(
              withLock(cache, key, 5000, async () => 'never', { waitMs: 0 }),
              (err: unknown) =>
                isCacheError('LOCK_TIMEOUT')(err) && /stayed taken for 0 ms/.test((err as Error).message),
            );
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await withLock(cache, key, 5000, async () => 'free again', { waitMs: 0 }), 'free again');
      });

      it('a holder whose lock expired does not release the next holder', async () => {
        const cache = await options.create();
        const key = unique('lock-expired');
        await withLock(cache, key, TTL, async () => {
          await options.advance(TTL + 50);
          assert.equal(await cache.setIfAbsent(key, 'next-holder', 60_000), true);
        });
        assert.equal(await cache.get(key), 'next-holder');
      });
    });
  });
}
