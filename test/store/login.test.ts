import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import {
  findIdentity,
  findIdentityForUser,
  findUserById,
  getSessionKeys,
  type LoginInput,
  listUnionIdConflicts,
  StoreError,
  setUserPhone,
  UnionIdConflictError,
  updateUserProfile,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APP_A, APP_B, openid, sessionKey, unionid } from '../helpers/wechat-ids.ts';

forEachDialect('upsertIdentityOnLogin', (h) => {
  it('creates a user and an identity on first login, the session key sealed at rest', async () => {
    const store = await h.openStore();
    const input: LoginInput = { appid: APP_A, openid: openid(), sessionKey: sessionKey() };
    const { user, identity, isNewUser } = await upsertIdentityOnLogin(store, input, 1000);

    assert.equal(isNewUser, true);
    assert.match(user.id, /^u_[a-z2-7]{26}$/);
    assert.match(identity.id, /^i_[a-z2-7]{26}$/);
    assert.deepEqual(
      { userId: identity.userId, appid: identity.appid, openid: identity.openid, unionid: identity.unionid },
      { userId: user.id, appid: APP_A, openid: input.openid, unionid: null },
    );
    assert.equal(identity.createdAt, 1000);
    assert.deepEqual(getSessionKeys(store, identity), { current: input.sessionKey });

    const raw = await store.db.selectFrom('identities').selectAll().executeTakeFirstOrThrow();
    assert.match(raw.session_key_current, /^v1\./);
    assert.ok(!raw.session_key_current.includes(input.sessionKey));
    assert.deepEqual(await findIdentity(store.db, APP_A, input.openid), identity);
  });

  it('rotates the session key to previous only when it changes', async () => {
    const store = await h.openStore();
    const [k1, k2, k3] = [sessionKey(), sessionKey(), sessionKey()];
    const input = { appid: APP_A, openid: openid() };
    const first = await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 1000);

    const same = await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 2000);
    assert.equal(same.isNewUser, false);
    assert.equal(same.user.id, first.user.id);
    assert.deepEqual(getSessionKeys(store, same.identity), { current: k1 });
    assert.equal(same.identity.sessionKeyUpdatedAt, 1000);
    assert.equal(same.identity.lastLoginAt, 2000);

    const second = await upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 3000);
    assert.deepEqual(getSessionKeys(store, second.identity), { current: k2, previous: k1 });
    assert.equal(second.identity.sessionKeyUpdatedAt, 3000);

    // The same key again must not push the real previous key out.
    const repeat = await upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 4000);
    assert.deepEqual(getSessionKeys(store, repeat.identity), { current: k2, previous: k1 });

    const third = await upsertIdentityOnLogin(store, { ...input, sessionKey: k3 }, 5000);
    assert.deepEqual(getSessionKeys(store, third.identity), { current: k3, previous: k2 });
  });

  it('50 concurrent first logins of one user create exactly one user and one identity', async () => {
    const store = await h.openStore();
    const input = { appid: APP_A, openid: openid() };
    const keys = Array.from({ length: 50 }, sessionKey);
    const results = await Promise.all(keys.map((k) => upsertIdentityOnLogin(store, { ...input, sessionKey: k })));

    assert.equal(results.filter((r) => r.isNewUser).length, 1);
    assert.equal(new Set(results.map((r) => r.user.id)).size, 1);
    assert.equal(new Set(results.map((r) => r.identity.id)).size, 1);
    assert.equal((await store.db.selectFrom('users').selectAll().execute()).length, 1);
    assert.equal((await store.db.selectFrom('identities').selectAll().execute()).length, 1);
    // Every login stored its key in turn: the survivors are two of the 50, never a lost mix.
    const final = await findIdentity(store.db, APP_A, input.openid);
    const { current, previous } = getSessionKeys(store, final!);
    assert.ok(keys.includes(current));
    assert.ok(previous !== undefined && keys.includes(previous) && previous !== current);
  });

  it('50 concurrent first logins of one unionid over two apps create one user with two identities', async () => {
    const store = await h.openStore();
    const u = unionid();
    const inputs = [
      { appid: APP_A, openid: openid(), unionid: u },
      { appid: APP_B, openid: openid(), unionid: u },
    ];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        upsertIdentityOnLogin(store, { ...inputs[i % 2]!, sessionKey: sessionKey() }),
      ),
    );
    assert.equal(results.filter((r) => r.isNewUser).length, 1);
    assert.equal(new Set(results.map((r) => r.user.id)).size, 1);
    assert.equal((await store.db.selectFrom('users').selectAll().execute()).length, 1);
    assert.equal((await store.db.selectFrom('identities').selectAll().execute()).length, 2);
  });

  it('links a second app to the user holding the same unionid', async () => {
    const store = await h.openStore();
    const u = unionid();
    const a = await upsertIdentityOnLogin(store, {
      appid: APP_A,
      openid: openid(),
      unionid: u,
      sessionKey: sessionKey(),
    });
    const b = await upsertIdentityOnLogin(store, {
      appid: APP_B,
      openid: openid(),
      unionid: u,
      sessionKey: sessionKey(),
    });

    assert.equal(a.isNewUser, true);
    assert.equal(b.isNewUser, false);
    assert.equal(b.user.id, a.user.id);
    assert.equal(b.user.unionid, u);
    assert.notEqual(b.identity.id, a.identity.id);
    assert.deepEqual(await findIdentityForUser(store.db, a.user.id, APP_B), b.identity);
    assert.deepEqual(await findIdentityForUser(store.db, a.user.id, APP_A), a.identity);
  });

  it('upgrades an identity first seen without a unionid, so later apps link to it', async () => {
    const store = await h.openStore();
    const u = unionid();
    const input = { appid: APP_A, openid: openid() };
    const bare = await upsertIdentityOnLogin(store, { ...input, sessionKey: sessionKey() });
    assert.equal(bare.user.unionid, null);

    const upgraded = await upsertIdentityOnLogin(store, { ...input, unionid: u, sessionKey: sessionKey() }, 5000);
    assert.equal(upgraded.user.id, bare.user.id);
    assert.equal(upgraded.user.unionid, u);
    assert.equal(upgraded.user.updatedAt, 5000);
    assert.equal(upgraded.identity.unionid, u);

    const other = await upsertIdentityOnLogin(store, {
      appid: APP_B,
      openid: openid(),
      unionid: u,
      sessionKey: sessionKey(),
    });
    assert.equal(other.user.id, bare.user.id);
  });

  it('refuses a unionid held by another user, records it once, and merges nothing', async () => {
    const store = await h.openStore();
    const u = unionid();
    const input = { appid: APP_A, openid: openid() };
    const lonely = await upsertIdentityOnLogin(store, { ...input, sessionKey: sessionKey() });
    const holder = await upsertIdentityOnLogin(store, {
      appid: APP_B,
      openid: openid(),
      unionid: u,
      sessionKey: sessionKey(),
    });

    const refuse = (now: number) =>
      assert.rejects(
        upsertIdentityOnLogin(store, { ...input, unionid: u, sessionKey: sessionKey() }, now),
        (err: unknown) => {
          assert.ok(err instanceof UnionIdConflictError);
          assert.ok(err instanceof StoreError);
          assert.equal(err.code, 'UNIONID_CONFLICT');
          assert.match(err.message, /belongs to another user; accounts are not merged automatically/);
          assert.deepEqual(
            {
              appid: err.appid,
              openid: err.openid,
              unionid: err.unionid,
              userId: err.userId,
              otherUserId: err.otherUserId,
            },
            { ...input, unionid: u, userId: lonely.user.id, otherUserId: holder.user.id },
          );
          return true;
        },
      );
    await refuse(10_000);
    await refuse(20_000);

    const conflicts = await listUnionIdConflicts(store.db);
    assert.equal(conflicts.length, 1);
    assert.deepEqual(
      { ...conflicts[0], id: undefined },
      {
        id: undefined,
        ...input,
        unionid: u,
        userId: lonely.user.id,
        otherUserId: holder.user.id,
        createdAt: 10_000,
        lastSeenAt: 20_000,
      },
    );
    assert.equal((await findUserById(store.db, lonely.user.id))?.unionid, null);
    assert.equal((await findIdentity(store.db, APP_A, input.openid))?.unionid, null);
    assert.equal((await store.db.selectFrom('users').selectAll().execute()).length, 2);
  });

  it('refuses a unionid different from the one the user already holds', async () => {
    const store = await h.openStore();
    const input = { appid: APP_A, openid: openid() };
    const first = await upsertIdentityOnLogin(store, { ...input, unionid: unionid(), sessionKey: sessionKey() });
    await assert.rejects(
      upsertIdentityOnLogin(store, { ...input, unionid: unionid(), sessionKey: sessionKey() }),
      (err: unknown) => err instanceof UnionIdConflictError && err.otherUserId === null && err.userId === first.user.id,
    );
    assert.equal((await listUnionIdConflicts(store.db)).length, 1);
  });

  it('a sealed session key copied into another identity does not open there', async () => {
    const store = await h.openStore();
    const alice = await upsertIdentityOnLogin(store, { appid: APP_A, openid: openid(), sessionKey: sessionKey() });
    const mallory = await upsertIdentityOnLogin(store, { appid: APP_A, openid: openid(), sessionKey: sessionKey() });
    await store.db
      .updateTable('identities')
      .set({ session_key_current: alice.identity.sealedSessionKeys.current })
      .where('id', '=', mallory.identity.id)
      .execute();
    const moved = await findIdentity(store.db, APP_A, mallory.identity.openid);
    assert.throws(
      () => getSessionKeys(store, moved!),
      (err: unknown) => err instanceof StoreError && err.code === 'DECRYPT_FAILED',
    );
  });

  it('treats an empty unionid as none', async () => {
    const store = await h.openStore();
    const a = await upsertIdentityOnLogin(store, {
      appid: APP_A,
      openid: openid(),
      unionid: '',
      sessionKey: sessionKey(),
    });
    const b = await upsertIdentityOnLogin(store, {
      appid: APP_A,
      openid: openid(),
      unionid: '',
      sessionKey: sessionKey(),
    });
    assert.equal(a.user.unionid, null);
    assert.notEqual(a.user.id, b.user.id);
  });

  it('after WEAPP_SECRET_KEY changed, a login replaces the unreadable key instead of failing', async () => {
    const database = await h.freshDatabase();
    const before = await h.openStore({ database });
    const input = { appid: APP_A, openid: openid() };
    const old = await upsertIdentityOnLogin(before, { ...input, sessionKey: sessionKey() });
    await before.close();

    const after = await h.openStore({ database, secretKey: randomBytes(32) });
    assert.throws(
      () => getSessionKeys(after, old.identity),
      (err: unknown) => {
        return err instanceof StoreError && err.code === 'DECRYPT_FAILED';
      },
    );
    const fresh = sessionKey();
    const relogin = await upsertIdentityOnLogin(after, { ...input, sessionKey: fresh });
    assert.equal(relogin.user.id, old.user.id);
    assert.deepEqual(getSessionKeys(after, relogin.identity), { current: fresh });
  });
});

forEachDialect('users', (h) => {
  it('finds users by id and answers undefined for unknown ids', async () => {
    const store = await h.openStore();
    const { user } = await upsertIdentityOnLogin(
      store,
      { appid: APP_A, openid: openid(), sessionKey: sessionKey() },
      1000,
    );
    assert.deepEqual(await findUserById(store.db, user.id), user);
    assert.deepEqual(user, {
      id: user.id,
      unionid: null,
      nickname: null,
      avatarUrl: null,
      gender: 0,
      country: null,
      province: null,
      city: null,
      language: null,
      phoneNumber: null,
      phoneCountryCode: null,
      phoneVerifiedAt: null,
      nicknameReview: false,
      avatarReview: null,
      createdAt: 1000,
      updatedAt: 1000,
      deletionDueAt: null,
    });
    assert.equal(await findUserById(store.db, 'u_nobody'), undefined);
    assert.equal(await findIdentity(store.db, APP_A, 'o-nobody'), undefined);
    assert.equal(await findIdentityForUser(store.db, user.id, APP_B), undefined);
  });

  it('updates only the profile fields given, null clearing one', async () => {
    const store = await h.openStore();
    const { user } = await upsertIdentityOnLogin(
      store,
      { appid: APP_A, openid: openid(), sessionKey: sessionKey() },
      1000,
    );
    const named = await updateUserProfile(
      store.db,
      user.id,
      { nickname: '小明', avatarUrl: '/avatars/a.png', gender: 1, city: 'Guangzhou', nicknameReview: true },
      2000,
    );
    assert.deepEqual(
      {
        nickname: named?.nickname,
        avatarUrl: named?.avatarUrl,
        gender: named?.gender,
        city: named?.city,
        nicknameReview: named?.nicknameReview,
        updatedAt: named?.updatedAt,
        createdAt: named?.createdAt,
      },
      {
        nickname: '小明',
        avatarUrl: '/avatars/a.png',
        gender: 1,
        city: 'Guangzhou',
        nicknameReview: true,
        updatedAt: 2000,
        createdAt: 1000,
      },
    );
    const cleared = await updateUserProfile(store.db, user.id, { city: null, nicknameReview: false }, 3000);
    assert.equal(cleared?.nickname, '小明');
    assert.equal(cleared?.city, null);
    assert.equal(cleared?.nicknameReview, false);
    assert.deepEqual(await findUserById(store.db, user.id), cleared);
    assert.equal(await updateUserProfile(store.db, 'u_nobody', { nickname: 'x' }), undefined);
  });

  it('records a verified phone number', async () => {
    const store = await h.openStore();
    const { user } = await upsertIdentityOnLogin(store, { appid: APP_A, openid: openid(), sessionKey: sessionKey() });
    const phoned = await setUserPhone(store.db, user.id, { phoneNumber: '13580006666', countryCode: '86' }, 7000);
    assert.deepEqual(
      [phoned?.phoneNumber, phoned?.phoneCountryCode, phoned?.phoneVerifiedAt, phoned?.updatedAt],
      ['13580006666', '86', 7000, 7000],
    );
    assert.equal(await setUserPhone(store.db, 'u_nobody', { phoneNumber: '1', countryCode: '86' }), undefined);
  });
});
