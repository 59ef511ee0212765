import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { contentKey, type MediaStore } from '../../src/media/index.ts';

export interface MediaStoreContractOptions {
  /** A store holding nothing yet. */
  create: () => MediaStore | Promise<MediaStore>;
}

async function listed(store: MediaStore) {
  const all = [];
  for await (const object of store.list()) all.push(object);
  return all.sort((a, b) => a.key.localeCompare(b.key));
}

/** What every MediaStore must do, written once; an S3 adapter runs the same suite against a bucket. */
export function mediaStoreContract(name: string, options: MediaStoreContractOptions): void {
  describe(`MediaStore contract: ${name}`, () => {
    const object = (bytes = randomBytes(64)) => ({ key: contentKey(bytes, 'png'), bytes, contentType: 'image/png' });

    it('gives back what was put, with its type, under its content key', async () => {
      const store = await options.create();
      const o = object();
      assert.equal(await store.get(o.key), undefined);
      await store.put(o);
      const back = await store.get(o.key);
      assert.deepEqual(Buffer.from(back?.bytes ?? []), o.bytes);
      assert.equal(back?.contentType, 'image/png');
    });

    it('takes the same object twice, at once or later, without harm', async () => {
      const store = await options.create();
      const o = object();
      await Promise.all([store.put(o), store.put(o), store.put(o)]);
      await store.put(o);
      assert.deepEqual(Buffer.from((await store.get(o.key))?.bytes ?? []), o.bytes);
    });

    // That the URL serves the bytes is the deployment's part: test/server/avatar.test.ts for the local store.
    it('hands out an absolute URL per key', async () => {
      const store = await options.create();
      const o = object();
      await store.put(o);
      const url = new URL(store.urlOf(o.key));
      assert.match(url.protocol, /^https?:$/);
      assert.ok(url.pathname.endsWith(`/${o.key}`));
      assert.notEqual(store.urlOf(o.key), store.urlOf(object().key));
    });

    it('lists what it holds with when each was stored, and forgets what it deletes', async () => {
      const store = await options.create();
      assert.deepEqual(await listed(store), []);
      const [a, b] = [object(), object()];
      await store.put(a);
      await store.put(b);
      const objects = await listed(store);
      assert.deepEqual(
        objects.map((o) => o.key),
        [a.key, b.key].sort(),
      );
      for (const { storedAt } of objects) {
        // Storage clocks are not ours, and S3 keeps whole seconds: plausible, not exact.
        assert.ok(Math.abs(storedAt - Date.now()) < 3600_000, `storedAt ${new Date(storedAt).toISOString()}`);
      }
      await store.delete(a.key);
      assert.equal(await store.get(a.key), undefined);
      assert.deepEqual(
        (await listed(store)).map((o) => o.key),
        [b.key],
      );
      await store.delete(a.key);
      await store.delete(object().key);
      assert.deepEqual(Buffer.from((await store.get(b.key))?.bytes ?? []), b.bytes);
    });

    it('refuses keys that are not content keys, before touching storage', async () => {
      const store = await options.create();
      for (const key of ['../../etc/passwd', 'a/b.png', '.hidden', 'ABC.png', `${'a'.repeat(64)}.png/x`, '']) {
        await assert.rejects(store.put({ key, bytes: new Uint8Array(1), contentType: 'image/png' }), TypeError, key);
        await assert.rejects(store.get(key), TypeError, key);
        await assert.rejects(store.delete(key), TypeError, key);
        assert.throws(() => store.urlOf(key), TypeError, key);
      }
    });
  });
}
