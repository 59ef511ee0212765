import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { isUniqueViolation } from '../../src/store/dialects.ts';
import {
  draftSession,
  findSessionByRefreshHash,
  findUserById,
  isDatabaseUnavailable,
  listAuditEvents,
  openDatabase,
  openStore,
  rotateSession,
  storeSessionDraft,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { TEST_SECRET_KEY } from '../helpers/databases.ts';
import { APP_A, openid, sessionKey, unionid } from '../helpers/wechat-ids.ts';

interface Tables {
  t: { id: string; v: number };
}

const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-writer-thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Every worker thread this process starts (the writer's among them), to end one from outside. */
const workers: Worker[] = [];
process.on('worker', (worker: Worker) => workers.push(worker));

/** The server's way to open a file (writes on their own thread), a table, and a connection to watch it from outside. */
async function open() {
  const path = join(dir, `w${files++}.db`);
  const store = await openDatabase({ url: `sqlite:${path}`, writerThread: true, backgroundCheckpoints: true });
  const db = store.db as unknown as Kysely<Tables>;
  await sql`create table t (id text primary key, v integer not null check (v >= 0))`.execute(db);
  const outside = new SqliteDatabase(path);
  const count = () => (outside.prepare('select count(*) as n from t').get() as { n: number }).n;
  // Each commit appends at least one 4 KB frame to the WAL: its growth counts commits.
  const walBytes = () => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  const close = async () => {
    outside.close();
    await store.close();
  };
  return { store, db, path, outside, count, walBytes, close };
}

const insert = (db: Kysely<Tables>, id: string, v = 1) => db.insertInto('t').values({ id, v }).execute();

/** dataVersion() until it is known: undefined means the writer thread was asked and has not answered. */
async function settledVersion(dataVersion: () => number | undefined): Promise<number> {
  for (;;) {
    const version = dataVersion();
    if (version !== undefined) return version;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('SQLite writes on a thread of their own', () => {
  it('commits the writes of one turn together, acknowledges each once committed, and reads see them', async () => {
    const { db, count, walBytes, close } = await open();
    const before = walBytes();
    const writes = Array.from({ length: 50 }, (_, i) => insert(db, `r${i}`));
    await Promise.all(writes);
    assert.equal(count(), 50, 'every acknowledged row is visible to another connection');
    // Fifty commits would append fifty frames or more; one commit of one table page appends a couple.
    assert.ok(walBytes() - before < 10 * 4096, `WAL grew by ${walBytes() - before} bytes`);
    const rows = await db
      .selectFrom('t')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirst();
    assert.equal(Number(rows?.n), 50, 'a read on the event loop sees what was acknowledged');
    // RETURNING comes back from the writer's connection.
    const returned = await db.insertInto('t').values({ id: 'ret', v: 7 }).returning(['id', 'v']).execute();
    assert.deepEqual(returned, [{ id: 'ret', v: 7 }]);
    const updated = await db.updateTable('t').set({ v: 2 }).where('id', 'like', 'r%').executeTakeFirst();
    assert.equal(updated.numUpdatedRows, 51n);
    await close();
  });

  it('reads outside a transaction run on the event loop, beside an open transaction instead of behind it', async () => {
    const { db, count, close } = await open();
    await insert(db, 'committed');
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inside: Promise<void> | undefined;
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 'inside', v: 1 }).execute();
      const seen = await trx.selectFrom('t').select('id').orderBy('id').execute();
      assert.deepEqual(
        seen.map((r) => r.id),
        ['committed', 'inside'],
        'inside the transaction its own write is seen',
      );
      inside = Promise.resolve();
      await held;
    });
    while (!inside) await new Promise((resolve) => setTimeout(resolve, 1));
    // The transaction holds the writer; the read answers now, with what is committed.
    const seen = await db.selectFrom('t').select('id').execute();
    assert.deepEqual(
      seen.map((r) => r.id),
      ['committed'],
    );
    // A write waits for the transaction, as on one connection.
    let written = false;
    const write = insert(db, 'after').then(() => {
      written = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(written, false);
    release();
    await transaction;
    await write;
    assert.equal(count(), 3);
    await close();
  });

  it('rolls a transaction back whole, and savepoints inside it roll back alone', async () => {
    const { db, count, close } = await open();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 'gone', v: 1 }).execute();
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(count(), 0);
    const trx = await db.startTransaction().execute();
    await trx.insertInto('t').values({ id: 'kept', v: 1 }).execute();
    const point = await trx.savepoint('inner').execute();
    await point.insertInto('t').values({ id: 'undone', v: 1 }).execute();
    const back = await point.rollbackToSavepoint('inner').execute();
    await back.commit().execute();
    assert.deepEqual(
      (await db.selectFrom('t').select('id').execute()).map((r) => r.id),
      ['kept'],
    );
    await close();
  });

  it("an error crosses the thread with SQLite's code, and fails only its own statement", async () => {
    const { db, count, close } = await open();
    await insert(db, 'dup');
    const results = await Promise.allSettled([
      insert(db, 'a'),
      insert(db, 'dup'),
      insert(db, 'b', -1),
      insert(db, 'c'),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    const unique = (results[1] as PromiseRejectedResult).reason;
    assert.ok(unique instanceof SqliteDatabase.SqliteError);
    assert.equal(unique.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.ok(isUniqueViolation(unique));
    assert.match(String((results[2] as PromiseRejectedResult).reason), /CHECK/);
    assert.equal(count(), 3);
    await close();
  });

  it("tells another process's commits from its own thread's (the caches' data_version)", async () => {
    const { store, db, outside, close } = await open();
    const dataVersion = store.dataVersion;
    assert.ok(dataVersion);
    const start = await settledVersion(dataVersion);
    for (let i = 0; i < 5; i++) await insert(db, `own${i}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await settledVersion(dataVersion), start, "this process's own writes do not move it");
    outside.prepare(`insert into t (id, v) values ('outside', 1)`).run();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const moved = await settledVersion(dataVersion);
    assert.notEqual(moved, start, "another process's commit moves it");
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await settledVersion(dataVersion), moved, 'and it stays once seen');
    await close();
  });

  it('a writer thread that dies fails what it was answering as unavailable, and the next write starts a new one', async () => {
    const { store, db, count, close } = await open();
    await insert(db, 'first');
    const writer = workers.at(-1);
    assert.ok(writer, 'the writer thread was started');
    const before = await settledVersion(store.dataVersion as () => number | undefined);
    // A transaction in flight when the thread ends: its connection goes, and its writes with it.
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 'lost', v: 1 }).execute();
      await writer.terminate();
      await trx.insertInto('t').values({ id: 'lost2', v: 1 }).execute();
    });
    const err = await transaction.then(
      () => assert.fail('the transaction cannot have committed'),
      (e: unknown) => e,
    );
    assert.ok(isDatabaseUnavailable(err), `unavailable (503), got ${String(err)}`);
    assert.equal(count(), 1, 'nothing of the transaction was committed');
    await insert(db, 'second');
    assert.equal(count(), 2);
    // What other processes wrote while no thread watched is unknown: the caches start over.
    assert.notEqual(await settledVersion(store.dataVersion as () => number | undefined), before);
    await close();
  });

  it('closing commits what is pending, ends the thread, and removes the WAL', async () => {
    const { db, path, close } = await open();
    const pending = insert(db, 'last');
    // On its way to the writer (requests leave once a turn), not yet committed when the close comes.
    await new Promise((resolve) => setImmediate(resolve));
    await close();
    await pending;
    const name = path.split('/').at(-1) as string;
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith(name)),
      [name],
      'no -wal or -shm left',
    );
    const check = new SqliteDatabase(path);
    assert.equal((check.prepare('select count(*) as n from t').get() as { n: number }).n, 1);
    check.close();
    await assert.rejects(insert(db, 'after'), /closed|destroyed/);
  });
});

describe("the store's SQLite transactions, run whole on the writer thread", () => {
  const openThreadedStore = () =>
    openStore({ url: `sqlite:${join(dir, `p${files++}.db`)}`, secretKey: TEST_SECRET_KEY, writerThread: true });
  const writes = () => ({
    session: draftSession({ appid: APP_A, refreshTokenHash: randomBytes(32).toString('hex'), expiresAt: 9e12 }, 1),
    audit: { type: 'login' as const, appid: APP_A, ip: '203.0.113.7', details: { newUser: false } },
  });

  it('a login stores the session and audit event it offers with its identity, when nothing else is left to do', async () => {
    const store = await openThreadedStore();
    const input = { appid: APP_A, openid: openid(), sessionKey: sessionKey() };
    // A sign-up without a unionid: the user, the identity and what it offers, one procedure on the thread.
    const first = await upsertIdentityOnLogin(store, input, 1000, writes());
    assert.equal(first.written, true);
    assert.equal(first.isNewUser, true);
    assert.deepEqual(await findUserById(store.db, first.user.id), first.user);
    const rows = async () => ({
      sessions: (await store.db.selectFrom('sessions').select('id').where('user_id', '=', first.user.id).execute())
        .length,
      audits: (await listAuditEvents(store.db, { userId: first.user.id })).length,
    });

    const offered = writes();
    const same = await upsertIdentityOnLogin(store, input, 2000, offered);
    assert.equal(same.written, true);
    assert.deepEqual(same.user, first.user);
    assert.equal(same.identity.lastLoginAt, 2000);
    assert.equal((await findSessionByRefreshHash(store.db, offered.session.refresh_token_hash))?.userId, first.user.id);
    const [event] = await listAuditEvents(store.db, { userId: first.user.id });
    assert.deepEqual(
      [event?.type, event?.ip, event?.details, event?.at],
      ['login', '203.0.113.7', { newUser: false }, 2000],
    );
    assert.deepEqual(await rows(), { sessions: 2, audits: 2 });

    // A new key, a new unionid, a pending deletion: more to do, so nothing offered is taken.
    const rotated = await upsertIdentityOnLogin(store, { ...input, sessionKey: sessionKey() }, 3000, writes());
    assert.equal(rotated.written, undefined);
    const u = unionid();
    const linked = await upsertIdentityOnLogin(store, { ...input, unionid: u }, 4000, writes());
    assert.equal(linked.written, undefined);
    assert.equal(linked.user.unionid, u);
    const held = await upsertIdentityOnLogin(store, { ...input, unionid: u }, 4500, writes());
    assert.equal(held.written, true);
    await store.db.updateTable('users').set({ deletion_due_at: 9e12 }).where('id', '=', first.user.id).execute();
    const leaving = await upsertIdentityOnLogin(store, { ...input, unionid: u }, 5000, writes());
    assert.equal(leaving.written, undefined);
    assert.equal(leaving.user.deletionDueAt, 9e12);
    assert.deepEqual(await rows(), { sessions: 3, audits: 3 });
    await store.close();
  });

  for (const writerThread of [true, false]) {
    it(`a procedure whose statement fails is rolled back whole, and the login fails (${writerThread ? 'on the writer thread' : 'on the event loop'})`, async () => {
      const store = await openStore({
        url: `sqlite:${join(dir, `p${files++}.db`)}`,
        secretKey: TEST_SECRET_KEY,
        writerThread,
      });
      const input = { appid: APP_A, openid: openid(), sessionKey: sessionKey() };
      const { user } = await upsertIdentityOnLogin(store, input, 1000);
      const first = writes();
      assert.equal((await upsertIdentityOnLogin(store, input, 2000, first)).written, true);
      // The next login offers a session whose id is taken: its INSERT fails after the identity's stamp.
      const clash = { ...writes(), session: { ...writes().session, id: first.session.id } };
      const failed = await upsertIdentityOnLogin(store, input, 3000, clash).then(
        () => assert.fail('a session id taken twice cannot be stored'),
        (err: unknown) => err,
      );
      assert.ok(isUniqueViolation(failed), String(failed));
      const identity = await store.db.selectFrom('identities').select('last_login_at').executeTakeFirstOrThrow();
      assert.equal(identity.last_login_at, 2000, "the failed login's stamp was rolled back with it");
      assert.equal((await listAuditEvents(store.db, { userId: user.id })).length, 1);
      // The connection's group goes on: the next login is stored.
      assert.equal((await upsertIdentityOnLogin(store, input, 4000, writes())).written, true);
      await store.close();
    });
  }

  it('concurrent logins and rotations of one identity and one token: each offer stored once, each token rotated once', async () => {
    const store = await openThreadedStore();
    const input = { appid: APP_A, openid: openid(), sessionKey: sessionKey() };
    const { user } = await upsertIdentityOnLogin(store, input, 1000);
    const offers = Array.from({ length: 20 }, writes);
    const logins = await Promise.all(offers.map((w, i) => upsertIdentityOnLogin(store, input, 2000 + i, w)));
    assert.ok(logins.every((l) => l.written === true && l.user.id === user.id));
    const stored = await store.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
    assert.equal(stored.length, 20);

    const token = randomBytes(32).toString('hex');
    await storeSessionDraft(
      store.db,
      draftSession({ appid: APP_A, refreshTokenHash: token, expiresAt: 9e12 }, 3000),
      user.id,
    );
    const rotations = await Promise.all(
      Array.from({ length: 10 }, () =>
        rotateSession(
          store.db,
          { refreshTokenHash: token, newRefreshTokenHash: randomBytes(32).toString('hex'), expiresAt: 9e12 },
          4000,
        ),
      ),
    );
    assert.deepEqual(rotations.map((r) => r.status).sort(), [
      'reused',
      'reused',
      'reused',
      'reused',
      'reused',
      'reused',
      'reused',
      'reused',
      'reused',
      'rotated',
    ]);
    const winner = rotations.find((r) => r.status === 'rotated');
    assert.ok(winner?.status === 'rotated');
    assert.equal(winner.openid, input.openid, 'the openid for the new access token comes with it');
    assert.equal(winner.previous.replacedBy, winner.session.id, 'the previous row points at its successor');
    await store.close();
  });
});
