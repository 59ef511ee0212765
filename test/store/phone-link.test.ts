import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import {
  createSession,
  findIdentity,
  findUserById,
  linkNewUserByPhone,
  type PhoneNumber,
  type Store,
  setUserPhone,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APP_A, APP_B, openid, sessionKey, unionid } from '../helpers/wechat-ids.ts';

const phone = (): PhoneNumber => ({
  phoneNumber: `139${randomBytes(4).readUInt32BE() % 100_000_000}`,
  countryCode: '86',
});

async function holder(store: Store, number: PhoneNumber, extra: { appid?: string; unionid?: string } = {}) {
  const login = await upsertIdentityOnLogin(store, {
    appid: extra.appid ?? APP_A,
    openid: openid(),
    unionid: extra.unionid,
    sessionKey: sessionKey(),
  });
  await setUserPhone(store.db, login.user.id, number);
  return login;
}

async function newcomer(store: Store, extra: { appid?: string; unionid?: string } = {}) {
  return upsertIdentityOnLogin(store, {
    appid: extra.appid ?? APP_B,
    openid: openid(),
    unionid: extra.unionid,
    sessionKey: sessionKey(),
  });
}

forEachDialect('linkNewUserByPhone', (h) => {
  it('moves the new identity to the one holder of the number and deletes the empty user', async () => {
    const store = await h.openStore();
    const number = phone();
    const old = await holder(store, number);
    const fresh = await newcomer(store, { unionid: unionid() });
    const result = await linkNewUserByPhone(
      store.db,
      { newUserId: fresh.user.id, identityId: fresh.identity.id, phone: number },
      5000,
    );
    assert.ok(result.linked);
    assert.equal(result.user.id, old.user.id);
    // The holder takes the unionid WeChat gave the newcomer: later logins in bound apps find it.
    assert.equal(result.user.unionid, fresh.identity.unionid);
    assert.equal((await findIdentity(store.db, APP_B, fresh.identity.openid))?.userId, old.user.id);
    assert.equal(await findUserById(store.db, fresh.user.id), undefined);
  });

  it('links nothing when the facts disagree', async () => {
    const store = await h.openStore();
    const refuse = async (expected: string, newUser: Awaited<ReturnType<typeof newcomer>>, number: PhoneNumber) => {
      const result = await linkNewUserByPhone(store.db, {
        newUserId: newUser.user.id,
        identityId: newUser.identity.id,
        phone: number,
      });
      assert.deepEqual(result, { linked: false, reason: expected });
      assert.ok(await findUserById(store.db, newUser.user.id), 'the new user stays');
    };

    await refuse('no_holder', await newcomer(store), phone());

    const shared = phone();
    await holder(store, shared);
    await holder(store, shared);
    await refuse('several_holders', await newcomer(store), shared);

    // Someone else already uses this number in the same mini program: another WeChat account.
    const sameApp = phone();
    await holder(store, sameApp, { appid: APP_B });
    await refuse('holder_in_same_app', await newcomer(store), sameApp);

    // Two unionids are two WeChat users, whatever number they share (a recycled one).
    const recycled = phone();
    await holder(store, recycled, { unionid: unionid() });
    await refuse('different_unionid', await newcomer(store, { unionid: unionid() }), recycled);

    // A user who already has a session is not new any more (a concurrent login got there first).
    const used = phone();
    await holder(store, used);
    const busy = await newcomer(store);
    await createSession(store.db, {
      userId: busy.user.id,
      appid: APP_B,
      refreshTokenHash: randomBytes(32).toString('hex'),
      expiresAt: Date.now() + 60_000,
    });
    await refuse('not_a_new_user', busy, used);
  });
});
