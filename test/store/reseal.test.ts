import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import {
  findIdentity,
  getSessionKeys,
  insertSigningKey,
  listSigningKeys,
  resealAll,
  StoreError,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APP_A, openid, sessionKey } from '../helpers/wechat-ids.ts';

forEachDialect('rotating WEAPP_SECRET_KEY', (h) => {
  it('reads old rows with the previous key, reseals them all, then needs only the new key', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('hex');
    const database = await h.freshDatabase();
    const before = await h.openStore({ database, secretKey: oldKey });
    const users = Array.from({ length: 7 }, () => ({ openid: openid(), keys: [sessionKey(), sessionKey()] }));
    for (const u of users) {
      for (const key of u.keys)
        await upsertIdentityOnLogin(before, { appid: APP_A, openid: u.openid, sessionKey: key });
    }
    const privateJwk = { kty: 'OKP', crv: 'Ed25519', d: 'secret-part', x: 'public-part' };
    await insertSigningKey(before, {
      kid: 'k1',
      alg: 'EdDSA',
      publicJwk: { kty: 'OKP', x: 'public-part' },
      privateJwk,
    });
    await before.close();

    const during = await h.openStore({ database, secretKey: newKey, previousSecretKeys: [oldKey] });
    assert.deepEqual(await resealAll(during, 3), { identities: 7, signingKeys: 1 });
    await during.close();

    const after = await h.openStore({ database, secretKey: newKey });
    for (const u of users) {
      const identity = await findIdentity(after.db, APP_A, u.openid);
      assert.ok(identity);
      assert.deepEqual(getSessionKeys(after, identity), { current: u.keys[1], previous: u.keys[0] });
    }
    assert.deepEqual((await listSigningKeys(after))[0]?.privateJwk, privateJwk);

    const stale = await h.openStore({ database, secretKey: oldKey });
    const identity = await findIdentity(stale.db, APP_A, users[0]?.openid ?? '');
    assert.ok(identity);
    assert.throws(
      () => getSessionKeys(stale, identity),
      (err: unknown) => err instanceof StoreError && err.code === 'DECRYPT_FAILED',
    );
  });
});
