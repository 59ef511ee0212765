import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { contentKey, LocalMediaStore } from '../../src/media/index.ts';
import { mediaStoreContract } from './media-store-contract.ts';

const root = mkdtempSync(join(tmpdir(), 'weapp-auth-media-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

mediaStoreContract('LocalMediaStore', {
  create: () =>
    new LocalMediaStore({
      directory: join(root, `store-${++n}`),
      publicBase: 'https://auth.example.com/media/avatars/',
    }),
});

describe('LocalMediaStore', () => {
  it('creates its directory and leaves no partial files behind', async () => {
    const directory = join(root, 'nested', 'avatars');
    const store = new LocalMediaStore({ directory, publicBase: 'http://127.0.0.1:3000/media/avatars' });
    const bytes = Buffer.from('GIF89a');
    const key = contentKey(bytes, 'gif');
    await store.put({ key, bytes, contentType: 'image/gif' });
    assert.deepEqual(readdirSync(directory), [key]);
    assert.equal(store.urlOf(key), `http://127.0.0.1:3000/media/avatars/${key}`);
  });

  it('lists content-keyed files only: no partial upload, stray file or directory', async () => {
    const directory = join(root, 'listing');
    const store = new LocalMediaStore({ directory, publicBase: 'http://127.0.0.1:3000/media/avatars' });
    const bytes = Buffer.from('GIF89a listing');
    const key = contentKey(bytes, 'gif');
    await store.put({ key, bytes, contentType: 'image/gif' });
    writeFileSync(join(directory, '.partial-0123456789abcdef'), 'half');
    writeFileSync(join(directory, 'README.txt'), 'left by an operator');
    mkdirSync(join(directory, `${'b'.repeat(64)}.png`));
    const keys = [];
    for await (const object of store.list()) keys.push(object.key);
    assert.deepEqual(keys, [key]);
  });

  it('counts a second upload of the same bytes as stored now, so pruning spares it', async () => {
    const directory = join(root, 'again');
    const store = new LocalMediaStore({ directory, publicBase: 'http://127.0.0.1:3000/media/avatars' });
    const bytes = Buffer.from('GIF89a again');
    const key = contentKey(bytes, 'gif');
    await store.put({ key, bytes, contentType: 'image/gif' });
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(join(directory, key), monthAgo, monthAgo);
    await store.put({ key, bytes, contentType: 'image/gif' });
    assert.ok(statSync(join(directory, key)).mtimeMs > monthAgo.getTime() + 29 * 86_400_000);
  });

  it('names objects by the SHA-256 of their bytes', () => {
    assert.equal(
      contentKey(Buffer.from('abc'), 'png'),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.png',
    );
  });
});
