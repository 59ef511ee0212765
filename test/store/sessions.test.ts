import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { it } from 'node:test';
import {
  createSession,
  deleteExpiredSessions,
  findSessionByRefreshHash,
  forkSession,
  isSessionActive,
  revokeFamily,
  revokeSession,
  rotateSession,
  type Store,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';

const APP = 'wx00000000000000aa';
const HOUR = 3_600_000;
const hash = () => createHash('sha256').update(randomBytes(32)).digest('hex');

async function userOf(store: Store): Promise<string> {
  const { user } = await upsertIdentityOnLogin(store, {
    appid: APP,
    openid: `o${randomBytes(12).toString('hex')}`,
    sessionKey: randomBytes(16).toString('base64'),
  });
  return user.id;
}

forEachDialect('sessions', (h) => {
  it('deletes only the rows that expired before the cut-off', async () => {
    const store = await h.openStore();
    const userId = await userOf(store);
    const old = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash: hash(), expiresAt: 2 * HOUR },
      HOUR,
    );
    const live = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash: hash(), expiresAt: 50 * HOUR },
      HOUR,
    );
    assert.equal(await deleteExpiredSessions(store.db, 3 * HOUR), 1);
    assert.equal(await findSessionByRefreshHash(store.db, old.refreshTokenHash), undefined);
    assert.equal((await findSessionByRefreshHash(store.db, live.refreshTokenHash))?.id, live.id);
    assert.equal(await isSessionActive(store.db, live.familyId, 3 * HOUR), true);
    assert.equal(await deleteExpiredSessions(store.db, 3 * HOUR), 0);
  });

  it('creates a session that starts its own family and is found by its refresh hash', async () => {
    const store = await h.openStore();
    const userId = await userOf(store);
    const refreshTokenHash = hash();
    const session = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash, expiresAt: 10 * HOUR, userAgent: 'wechatdevtools', ip: '10.0.0.1' },
      HOUR,
    );
    assert.match(session.id, /^s_[a-z2-7]{26}$/);
    assert.deepEqual(session, {
      id: session.id,
      familyId: session.id,
      userId,
      appid: APP,
      refreshTokenHash,
      replacedBy: null,
      expiresAt: 10 * HOUR,
      revokedAt: null,
      revokeReason: null,
      createdAt: HOUR,
      lastUsedAt: HOUR,
      userAgent: 'wechatdevtools',
      ip: '10.0.0.1',
    });
    assert.deepEqual(await findSessionByRefreshHash(store.db, refreshTokenHash), session);
    assert.equal(await findSessionByRefreshHash(store.db, hash()), undefined);
    assert.equal(await isSessionActive(store.db, session.familyId, 2 * HOUR), true);
    assert.equal(await isSessionActive(store.db, session.familyId, 10 * HOUR), false, 'expired at expiresAt');
  });

  it('rotates within the family; the replaced token shown again is reported as reuse', async () => {
    const store = await h.openStore();
    const userId = await userOf(store);
    const first = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash: hash(), expiresAt: 10 * HOUR },
      0,
    );
    const newHash = hash();
    const rotated = await rotateSession(
      store.db,
      { refreshTokenHash: first.refreshTokenHash, newRefreshTokenHash: newHash, expiresAt: 20 * HOUR, ip: '10.0.0.2' },
      HOUR,
    );
    assert.equal(rotated.status, 'rotated');
    if (rotated.status !== 'rotated') return;
    assert.notEqual(rotated.session.id, first.id);
    assert.deepEqual(
      [rotated.session.familyId, rotated.session.refreshTokenHash, rotated.session.expiresAt, rotated.session.ip],
      [first.familyId, newHash, 20 * HOUR, '10.0.0.2'],
    );
    assert.deepEqual(rotated.previous, { ...first, replacedBy: rotated.session.id, lastUsedAt: HOUR });
    assert.equal(
      await isSessionActive(store.db, first.familyId, 15 * HOUR),
      true,
      'the family lives on in its new token',
    );

    const again = await rotateSession(
      store.db,
      { refreshTokenHash: first.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 20 * HOUR },
      2 * HOUR,
    );
    assert.ok(again.status === 'reused');
    assert.equal(again.session.id, first.id);

    const unknown = await rotateSession(
      store.db,
      { refreshTokenHash: hash(), newRefreshTokenHash: hash(), expiresAt: 1 },
      0,
    );
    assert.deepEqual(unknown, { status: 'unknown' });
  });

  it('of concurrent rotations of one token exactly one wins', async () => {
    const store = await h.openStore();
    const userId = await userOf(store);
    for (const contenders of [2, 10]) {
      const session = await createSession(
        store.db,
        { userId, appid: APP, refreshTokenHash: hash(), expiresAt: 10 * HOUR },
        0,
      );
      const results = await Promise.all(
        Array.from({ length: contenders }, () =>
          rotateSession(
            store.db,
            { refreshTokenHash: session.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 20 * HOUR },
            HOUR,
          ),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'rotated').length, 1, `${contenders} contenders`);
      assert.equal(results.filter((r) => r.status === 'reused').length, contenders - 1);
      const family = await store.db
        .selectFrom('sessions')
        .selectAll()
        .where('family_id', '=', session.familyId)
        .execute();
      assert.equal(family.length, 2, 'losers leave no successor behind');
    }
  });

  it('refuses to rotate an expired or revoked token', async () => {
    const store = await h.openStore();
    const userId = await userOf(store);
    const expiring = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash: hash(), expiresAt: HOUR },
      0,
    );
    const expired = await rotateSession(
      store.db,
      { refreshTokenHash: expiring.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 2 * HOUR },
      HOUR,
    );
    assert.equal(expired.status, 'expired');

    const revoked = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash: hash(), expiresAt: 10 * HOUR },
      0,
    );
    assert.equal(await revokeSession(store.db, revoked.id, 'logout', HOUR), true);
    assert.equal(await revokeSession(store.db, revoked.id, 'admin', 2 * HOUR), false, 'the first reason stays');
    assert.equal(await revokeSession(store.db, 's_nobody', 'admin'), false);
    const after = await findSessionByRefreshHash(store.db, revoked.refreshTokenHash);
    assert.deepEqual([after?.revokedAt, after?.revokeReason], [HOUR, 'logout']);
    const refused = await rotateSession(
      store.db,
      { refreshTokenHash: revoked.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 20 * HOUR },
      2 * HOUR,
    );
    assert.equal(refused.status, 'revoked');
    assert.equal(await isSessionActive(store.db, revoked.familyId, 2 * HOUR), false);
  });

  it('revoking a family ends every token in it and only that family', async () => {
    const store = await h.openStore();
    const userId = await userOf(store);
    const first = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash: hash(), expiresAt: 10 * HOUR },
      0,
    );
    const other = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash: hash(), expiresAt: 10 * HOUR },
      0,
    );
    const rotated = await rotateSession(
      store.db,
      { refreshTokenHash: first.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 10 * HOUR },
      HOUR,
    );
    assert.equal(rotated.status, 'rotated');

    assert.equal(await revokeFamily(store.db, first.familyId, 'reuse', 2 * HOUR), 2);
    assert.equal(await revokeFamily(store.db, first.familyId, 'logout', 3 * HOUR), 0);
    assert.equal(await isSessionActive(store.db, first.familyId, 2 * HOUR), false);
    assert.equal(await isSessionActive(store.db, other.familyId, 2 * HOUR), true);
    if (rotated.status !== 'rotated') return;
    const successor = await rotateSession(
      store.db,
      { refreshTokenHash: rotated.session.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 10 * HOUR },
      3 * HOUR,
    );
    assert.ok(successor.status === 'revoked');
    assert.equal(successor.session.revokeReason, 'reuse');
    assert.equal(await isSessionActive(store.db, 's_nobody'), false);
  });

  it('forkSession adds a live sibling to the family without replacing anything', async () => {
    const store = await h.openStore();
    const userId = await userOf(store);
    const first = await createSession(
      store.db,
      { userId, appid: APP, refreshTokenHash: hash(), expiresAt: 10 * HOUR },
      0,
    );
    const rotated = await rotateSession(
      store.db,
      { refreshTokenHash: first.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 10 * HOUR },
      HOUR,
    );
    assert.ok(rotated.status === 'rotated');
    const sibling = await forkSession(store.db, first, { refreshTokenHash: hash(), expiresAt: 12 * HOUR }, HOUR + 1);
    assert.deepEqual(
      [sibling.familyId, sibling.userId, sibling.appid, sibling.replacedBy, sibling.expiresAt, sibling.createdAt],
      [first.familyId, userId, APP, null, 12 * HOUR, HOUR + 1],
    );
    for (const live of [rotated.session, sibling]) {
      const next = await rotateSession(
        store.db,
        { refreshTokenHash: live.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 10 * HOUR },
        2 * HOUR,
      );
      assert.equal(next.status, 'rotated', 'both the rotated token and its sibling still work');
    }
    assert.equal(await revokeFamily(store.db, first.familyId, 'logout', 3 * HOUR), 5, 'every row, replaced or not');
    assert.equal(await isSessionActive(store.db, first.familyId, 3 * HOUR), false);
  });
});
