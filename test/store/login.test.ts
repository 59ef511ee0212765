import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { Migrator, sql } from 'kysely';
import {
  draftSession,
  findIdentity,
  findIdentityForUser,
  findSessionByRefreshHash,
  findUserById,
  getSessionKeys,
  type LoginInput,
  listAuditEvents,
  listUnionIdConflicts,
  openDatabase,
  resealAll,
  type Store,
  StoreError,
  setUserPhone,
  UnionIdConflictError,
  updateUserProfile,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
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

  it('keeps a keyed fingerprint of the current session key, changed exactly when the key changes', async () => {
    const store = await h.openStore();
    const [k1, k2] = [sessionKey(), sessionKey()];
    const input = { appid: APP_A, openid: openid() };
    const raw = () =>
      store.db
        .selectFrom('identities')
        .select(['session_key_current', 'session_key_fingerprint'])
        .where('openid', '=', input.openid)
        .executeTakeFirstOrThrow();

    await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 1000);
    const first = await raw();
    assert.match(first.session_key_fingerprint ?? '', /^[A-Za-z0-9_-]{43}$/);
    // Keyed: neither the key nor its plain hash, so the database alone cannot test a guessed key.
    for (const plain of [k1, createHash('sha256').update(k1).digest('base64url')]) {
      assert.ok(!(first.session_key_fingerprint ?? '').includes(plain));
    }
    await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 2000);
    // The same key: nothing about it is written, not even a fresh seal.
    assert.deepEqual(await raw(), first);

    await upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 3000);
    const second = await raw();
    assert.notEqual(second.session_key_fingerprint, first.session_key_fingerprint);
    assert.notEqual(second.session_key_current, first.session_key_current);
    await upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 4000);
    assert.deepEqual(await raw(), second);

    // Another secret key fingerprints the same session key differently.
    const other = await h.openStore({ secretKey: randomBytes(32) });
    await upsertIdentityOnLogin(other, { ...input, sessionKey: k2 }, 5000);
    const elsewhere = await other.db
      .selectFrom('identities')
      .select('session_key_fingerprint')
      .executeTakeFirstOrThrow();
    assert.notEqual(elsewhere.session_key_fingerprint, second.session_key_fingerprint);
  });

  it('a row without a fingerprint keeps its keys on a login with the same key, and gets one', async () => {
    const store = await h.openStore();
    const [k1, k2, k3] = [sessionKey(), sessionKey(), sessionKey()];
    const input = { appid: APP_A, openid: openid() };
    await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 1000);
    await upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 2000);
    const withFingerprint = await store.db
      .selectFrom('identities')
      .select('session_key_fingerprint')
      .executeTakeFirstOrThrow();
    const forget = () => store.db.updateTable('identities').set({ session_key_fingerprint: null }).execute();

    await forget();
    const same = await upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 3000);
    assert.deepEqual(getSessionKeys(store, same.identity), { current: k2, previous: k1 });
    assert.equal(same.identity.sessionKeyUpdatedAt, 2000);
    assert.equal(same.identity.lastLoginAt, 3000);
    assert.deepEqual(
      await store.db.selectFrom('identities').select('session_key_fingerprint').executeTakeFirstOrThrow(),
      withFingerprint,
    );

    await forget();
    const rotated = await upsertIdentityOnLogin(store, { ...input, sessionKey: k3 }, 4000);
    assert.deepEqual(getSessionKeys(store, rotated.identity), { current: k3, previous: k2 });
    assert.equal(rotated.identity.sessionKeyUpdatedAt, 4000);
    const again = await upsertIdentityOnLogin(store, { ...input, sessionKey: k3 }, 5000);
    assert.deepEqual(getSessionKeys(store, again.identity), { current: k3, previous: k2 });
    assert.equal(again.identity.sessionKeyUpdatedAt, 4000);
  });

  it('20 concurrent logins bringing one new key rotate it in once, keeping the real previous key', async () => {
    const store = await h.openStore();
    const [k1, k2] = [sessionKey(), sessionKey()];
    const input = { appid: APP_A, openid: openid() };
    await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 1000);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 2000)),
    );
    for (const r of results) assert.deepEqual(getSessionKeys(store, r.identity), { current: k2, previous: k1 });
    const final = await findIdentity(store.db, APP_A, input.openid);
    assert.deepEqual(getSessionKeys(store, final!), { current: k2, previous: k1 });
  });

  it('20 concurrent logins bringing one new key and offering their writes: the key rotates once, every offer is stored once on PostgreSQL', async () => {
    const store = await h.openStore();
    const [k1, k2] = [sessionKey(), sessionKey()];
    const input = { appid: APP_A, openid: openid() };
    const { user } = await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 1000);
    const offers = Array.from({ length: 20 }, () => ({
      session: draftSession({ appid: APP_A, refreshTokenHash: randomBytes(32).toString('hex'), expiresAt: 9e12 }, 2),
      audit: { type: 'login' as const, appid: APP_A, details: { newUser: false } },
    }));
    const results = await Promise.all(
      offers.map((offer) => upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 2000, offer)),
    );
    for (const r of results) assert.deepEqual(getSessionKeys(store, r.identity), { current: k2, previous: k1 });
    const final = await findIdentity(store.db, APP_A, input.openid);
    assert.deepEqual(getSessionKeys(store, final!), { current: k2, previous: k1 });
    // Whether a login found the new key stored already (its first statement took the writes) or
    // stored it (the key's statement took them), each offer went in once, for the user.
    const stored = await Promise.all(
      offers.map((o) => findSessionByRefreshHash(store.db, o.session.refresh_token_hash)),
    );
    const events = await listAuditEvents(store.db, { userId: user.id });
    if (h.dialect === 'postgres') {
      assert.ok(results.every((r) => r.written === true));
      assert.deepEqual(
        stored.map((s) => s?.userId),
        offers.map(() => user.id),
      );
      assert.equal(events.length, 20);
    } else {
      assert.ok(results.every((r) => r.written === undefined));
      assert.ok(stored.every((s) => s === undefined));
      assert.equal(events.length, 0);
    }
  });

  it('recognises a key fingerprinted under the previous WEAPP_SECRET_KEY, and after reseal under the new one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const database = await h.freshDatabase();
    const [k1, k2] = [sessionKey(), sessionKey()];
    const input = { appid: APP_A, openid: openid() };
    const before = await h.openStore({ database, secretKey: oldKey });
    await upsertIdentityOnLogin(before, { ...input, sessionKey: k1 }, 1000);
    await upsertIdentityOnLogin(before, { ...input, sessionKey: k2 }, 2000);
    await before.close();

    const during = await h.openStore({ database, secretKey: newKey, previousSecretKeys: [oldKey] });
    const same = await upsertIdentityOnLogin(during, { ...input, sessionKey: k2 }, 3000);
    assert.deepEqual(getSessionKeys(during, same.identity), { current: k2, previous: k1 });
    assert.equal(same.identity.sessionKeyUpdatedAt, 2000);
    await resealAll(during);
    await during.close();

    const after = await h.openStore({ database, secretKey: newKey });
    const later = await upsertIdentityOnLogin(after, { ...input, sessionKey: k2 }, 4000);
    assert.deepEqual(getSessionKeys(after, later.identity), { current: k2, previous: k1 });
    assert.equal(later.identity.sessionKeyUpdatedAt, 2000);
  });

  it('migration 0006 on a database holding identities from before: their logins keep working', async () => {
    const database = await h.freshDatabase();
    const bare = h.track(await openDatabase(database));
    const migrator = new Migrator({
      db: bare.db,
      provider: migrationProvider,
      ...(bare.schema !== undefined && { migrationTableSchema: bare.schema }),
    });
    const { error } = await migrator.migrateTo('0005_avatar_checks');
    assert.equal(error, undefined);
    // Rows as the code before 0006 wrote them: sealed keys, no fingerprint column.
    const store: Store = await h.openStore({ database, migrate: false });
    const [k1, k2, k3] = [sessionKey(), sessionKey(), sessionKey()];
    const old = [
      { id: 'i_aaaaaaaaaaaaaaaaaaaaaaaaaa', openid: openid(), current: k2, previous: k1 },
      { id: 'i_bbbbbbbbbbbbbbbbbbbbbbbbbb', openid: openid(), current: k2, previous: null },
    ];
    for (const [n, row] of old.entries()) {
      const userId = `u_${String(n).repeat(26)}`;
      // biome-ignore lint/suspicious/noExplicitAny: the schema of before 0006, which today's types no longer describe
      const db = bare.db as any;
      await db.insertInto('users').values({ id: userId, created_at: 1, updated_at: 1 }).execute();
      await db
        .insertInto('identities')
        .values({
          id: row.id,
          user_id: userId,
          appid: APP_A,
          openid: row.openid,
          unionid: null,
          session_key_current: store.box.seal('session-key', row.id, row.current),
          session_key_previous: row.previous && store.box.seal('session-key', row.id, row.previous),
          session_key_updated_at: 1,
          created_at: 1,
          last_login_at: 1,
        })
        .execute();
    }

    const migrated = await h.openStore({ database });
    const rows = await migrated.db.selectFrom('identities').select('session_key_fingerprint').execute();
    assert.deepEqual(rows, [{ session_key_fingerprint: null }, { session_key_fingerprint: null }]);

    const [a, b] = old as [(typeof old)[0], (typeof old)[0]];
    const same = await upsertIdentityOnLogin(migrated, { appid: APP_A, openid: a.openid, sessionKey: k2 }, 5000);
    assert.equal(same.isNewUser, false);
    assert.equal(same.user.id, `u_${'0'.repeat(26)}`);
    assert.deepEqual(getSessionKeys(migrated, same.identity), { current: k2, previous: k1 });
    assert.equal(same.identity.sessionKeyUpdatedAt, 1);
    const rotated = await upsertIdentityOnLogin(migrated, { appid: APP_A, openid: b.openid, sessionKey: k3 }, 6000);
    assert.deepEqual(getSessionKeys(migrated, rotated.identity), { current: k3, previous: k2 });
    assert.equal(rotated.identity.sessionKeyUpdatedAt, 6000);
    const filled = await migrated.db.selectFrom('identities').select('session_key_fingerprint').execute();
    assert.ok(filled.every((r) => r.session_key_fingerprint !== null));
  });

  it('stores the session and audit event offered with a returning login with its identity (SQLite: as a procedure)', async () => {
    const store = await h.openStore();
    const [k1, k2] = [sessionKey(), sessionKey()];
    const input = { appid: APP_A, openid: openid() };
    const writes = () => ({
      session: draftSession({ appid: APP_A, refreshTokenHash: randomBytes(32).toString('hex'), expiresAt: 9e12 }, 1),
      audit: { type: 'login' as const, appid: APP_A, ip: '203.0.113.7', details: { newUser: false } },
    });
    const rows = async (userId: string) => ({
      sessions: (await store.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length,
      audits: (await listAuditEvents(store.db, { userId })).length,
    });
    // A first login with no account to join (no unionid) takes them with the user it creates, its
    // event marked newUser: PostgreSQL in one statement, SQLite in one procedure.
    const firstWrites = writes();
    const first = await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 1000, firstWrites);
    assert.equal(first.isNewUser, true);
    assert.equal(first.written, true);
    assert.deepEqual(await rows(first.user.id), { sessions: 1, audits: 1 });
    assert.equal(
      (await findSessionByRefreshHash(store.db, firstWrites.session.refresh_token_hash))?.userId,
      first.user.id,
    );
    const [created] = await listAuditEvents(store.db, { userId: first.user.id });
    assert.deepEqual([created?.details, created?.at], [{ newUser: true }, 1000]);
    // What it answers is what is stored.
    assert.deepEqual(await findUserById(store.db, first.user.id), first.user);
    assert.deepEqual(await findIdentity(store.db, APP_A, input.openid), first.identity);
    assert.equal(getSessionKeys(store, first.identity).current, k1);
    const base = await rows(first.user.id);

    // A returning login with the key we hold: PostgreSQL's one statement, SQLite's one procedure
    // (src/store/sqlite-procedures.ts) on the thread that holds the connection.
    const offered = writes();
    const same = await upsertIdentityOnLogin(store, { ...input, sessionKey: k1 }, 2000, offered);
    assert.equal(same.identity.lastLoginAt, 2000);
    assert.deepEqual(same.user, first.user);
    assert.equal(same.written, true);
    assert.deepEqual(await rows(first.user.id), { sessions: base.sessions + 1, audits: base.audits + 1 });
    const session = await findSessionByRefreshHash(store.db, offered.session.refresh_token_hash);
    assert.equal(session?.id, offered.session.id);
    assert.equal(session?.userId, first.user.id);
    const [event] = await listAuditEvents(store.db, { userId: first.user.id });
    assert.deepEqual(
      [event?.type, event?.appid, event?.ip, event?.details, event?.at],
      ['login', APP_A, '203.0.113.7', { newUser: false }, 2000],
    );
    const before = await rows(first.user.id);

    // A new key goes in with them on PostgreSQL: one more statement, not three.
    const rotatedWrites = writes();
    const rotated = await upsertIdentityOnLogin(store, { ...input, sessionKey: k2 }, 3000, rotatedWrites);
    assert.equal(rotated.written, h.dialect === 'postgres' ? true : undefined);
    assert.deepEqual(getSessionKeys(store, rotated.identity), { current: k2, previous: k1 });
    if (h.dialect === 'postgres') {
      const session = await findSessionByRefreshHash(store.db, rotatedWrites.session.refresh_token_hash);
      assert.deepEqual([session?.id, session?.userId], [rotatedWrites.session.id, first.user.id]);
    }
    // A new unionid or a pending deletion leave more to do, new key or not: nothing is taken.
    const u = unionid();
    const k3 = sessionKey();
    const linked = await upsertIdentityOnLogin(store, { ...input, unionid: u, sessionKey: k3 }, 4000, writes());
    assert.equal(linked.written, undefined);
    assert.equal(linked.user.unionid, u);
    assert.deepEqual(getSessionKeys(store, linked.identity), { current: k3, previous: k2 });
    // With the unionid it holds, it is taken again.
    const held = await upsertIdentityOnLogin(store, { ...input, unionid: u, sessionKey: k3 }, 4500, writes());
    assert.equal(held.written, true);
    const afterHeld = await rows(first.user.id);
    await store.db.updateTable('users').set({ deletion_due_at: 9e12 }).where('id', '=', first.user.id).execute();
    const k4 = sessionKey();
    const leaving = await upsertIdentityOnLogin(store, { ...input, unionid: u, sessionKey: k4 }, 5000, writes());
    assert.equal(leaving.written, undefined);
    assert.equal(leaving.user.deletionDueAt, 9e12);
    assert.deepEqual(getSessionKeys(store, leaving.identity), { current: k4, previous: k3 });
    assert.deepEqual(await rows(first.user.id), afterHeld);
    assert.deepEqual(
      afterHeld,
      h.dialect === 'postgres'
        ? { sessions: 4, audits: 4 }
        : { sessions: before.sessions + 1, audits: before.audits + 1 },
    );
  });

  it("an account purged between a login's two statements: the login signs up anew instead of failing", async () => {
    const store = await h.openStore();
    const input = { appid: APP_A, openid: openid() };
    const first = await upsertIdentityOnLogin(store, { ...input, sessionKey: sessionKey() }, 1000);
    // The purge, played by a trigger: it runs right after the stamp of the login's first statement.
    if (h.dialect === 'postgres') {
      await sql`create function wa_purge_on_login() returns trigger language plpgsql as $$
        begin delete from users where id = new.user_id; return null; end $$`.execute(store.db);
      await sql`create trigger wa_purge after update of last_login_at on identities
        for each row execute function wa_purge_on_login()`.execute(store.db);
    } else {
      await sql`create trigger wa_purge after update of last_login_at on identities
        begin delete from users where id = new.user_id; end`.execute(store.db);
    }
    const offered = {
      session: draftSession({ appid: APP_A, refreshTokenHash: randomBytes(32).toString('hex'), expiresAt: 9e12 }, 2),
      audit: { type: 'login' as const, appid: APP_A, details: { newUser: false } },
    };
    // A new key: the login's second statement stores it, and finds no identity.
    const again = await upsertIdentityOnLogin(store, { ...input, sessionKey: sessionKey() }, 2000, offered);
    assert.equal(again.isNewUser, true);
    assert.notEqual(again.user.id, first.user.id);
    assert.equal(await findUserById(store.db, first.user.id), undefined);
    assert.equal(await findUserById(store.db, again.user.id).then((u) => u?.id), again.user.id);
    const stored = await findSessionByRefreshHash(store.db, offered.session.refresh_token_hash);
    // The offered session went in with the new user (PostgreSQL's statement, SQLite's procedure).
    assert.equal(stored?.userId, again.user.id);
    assert.equal(again.written, true);
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

  it('50 concurrent first logins of one user offering their session and event: one user, every session and event stored once', async () => {
    const store = await h.openStore();
    const input = { appid: APP_A, openid: openid(), sessionKey: sessionKey() };
    const offers = Array.from({ length: 50 }, () => ({
      session: draftSession({ appid: APP_A, refreshTokenHash: randomBytes(32).toString('hex'), expiresAt: 9e12 }, 1),
      audit: { type: 'login' as const, appid: APP_A, details: { newUser: false } },
    }));
    const results = await Promise.all(offers.map((w) => upsertIdentityOnLogin(store, input, 1000, w)));
    assert.equal(results.filter((r) => r.isNewUser).length, 1);
    assert.equal(new Set(results.map((r) => r.user.id)).size, 1);
    assert.equal(
      (await store.db.selectFrom('users').selectAll().execute()).length,
      1,
      'no user left without an identity',
    );
    assert.equal((await store.db.selectFrom('identities').selectAll().execute()).length, 1);
    // What the store took it stored once; the rest is the caller's to store (as login-flow does).
    const stored = (await store.db.selectFrom('sessions').select('id').execute()).map((r) => r.id);
    const taken = offers.filter((_, i) => results[i]?.written).map((w) => w.session.id);
    assert.deepEqual(stored.sort(), taken.sort());
    const events = await listAuditEvents(store.db, {});
    assert.equal(events.length, taken.length);
    assert.equal(events.filter((e) => e.details?.newUser === true).length, 1);
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
