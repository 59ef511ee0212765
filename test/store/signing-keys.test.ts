import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import {
  deleteExpiredSigningKeys,
  insertSigningKey,
  listSigningKeys,
  type NewSigningKey,
  retireSigningKey,
  StoreError,
} from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';

const HOUR = 3_600_000;

function key(kid: string): NewSigningKey {
  const x = randomBytes(32).toString('base64url');
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' },
    privateJwk: { kty: 'OKP', crv: 'Ed25519', x, d: randomBytes(32).toString('base64url'), kid, alg: 'EdDSA' },
  };
}

forEachDialect('signing keys', (h) => {
  it('stores the private key sealed and lists keys newest first with it opened', async () => {
    const store = await h.openStore();
    const older = key('k-older');
    const newer = key('k-newer');
    const inserted = await insertSigningKey(store, older, HOUR);
    assert.deepEqual(inserted, { ...older, createdAt: HOUR, retiredAt: null, notAfter: null });
    await insertSigningKey(store, newer, 2 * HOUR);

    const raw = await store.db
      .selectFrom('signing_keys')
      .select('private_jwk')
      .where('kid', '=', 'k-older')
      .executeTakeFirstOrThrow();
    assert.match(raw.private_jwk, /^v1\./);
    assert.ok(!raw.private_jwk.includes(String(older.privateJwk.d)));

    const listed = await listSigningKeys(store, 3 * HOUR);
    assert.deepEqual(
      listed.map((k) => k.kid),
      ['k-newer', 'k-older'],
    );
    assert.deepEqual(listed[0]?.privateJwk, newer.privateJwk);
    assert.deepEqual(listed[1]?.publicJwk, older.publicJwk);
  });

  it('a retired key stays published until notAfter, then is deleted', async () => {
    const store = await h.openStore();
    await insertSigningKey(store, key('k-old'), 0);
    await insertSigningKey(store, key('k-new'), HOUR);
    assert.equal(await retireSigningKey(store.db, 'k-old', 4 * HOUR, 2 * HOUR), true);
    assert.equal(await retireSigningKey(store.db, 'k-old', 9 * HOUR, 3 * HOUR), false, 'retired once');
    assert.equal(await retireSigningKey(store.db, 'k-none', 9 * HOUR), false);

    const during = await listSigningKeys(store, 3 * HOUR);
    assert.deepEqual(
      during.map((k) => [k.kid, k.retiredAt, k.notAfter]),
      [
        ['k-new', null, null],
        ['k-old', 2 * HOUR, 4 * HOUR],
      ],
    );
    assert.equal(await deleteExpiredSigningKeys(store.db, 3 * HOUR), 0);

    assert.deepEqual(
      (await listSigningKeys(store, 4 * HOUR)).map((k) => k.kid),
      ['k-new'],
    );
    assert.equal(await deleteExpiredSigningKeys(store.db, 4 * HOUR), 1);
    assert.equal(await deleteExpiredSigningKeys(store.db, 100 * HOUR), 0, 'active keys are never deleted');
    assert.deepEqual(
      (await store.db.selectFrom('signing_keys').select('kid').execute()).map((r) => r.kid),
      ['k-new'],
    );
  });

  it('a private key sealed under another secret key fails to load with DECRYPT_FAILED', async () => {
    const database = await h.freshDatabase();
    const first = await h.openStore({ database });
    await insertSigningKey(first, key('k-1'));
    await first.close();
    const other = await h.openStore({ database, secretKey: randomBytes(32) });
    await assert.rejects(
      listSigningKeys(other),
      (err: unknown) => err instanceof StoreError && err.code === 'DECRYPT_FAILED',
    );
  });
});
