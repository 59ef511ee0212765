import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

  it('names objects by the SHA-256 of their bytes', () => {
    assert.equal(
      contentKey(Buffer.from('abc'), 'png'),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.png',
    );
  });
});
