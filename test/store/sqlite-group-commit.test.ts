import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { GroupCommitSqliteDialect } from '../../src/store/sqlite-group-commit.ts';
import { GroupCommitDriver } from '../../src/store/sqlite-group-commit-driver.ts';
import { CachedStatements } from '../../src/store/sqlite-statements.ts';

interface Tables {
  t: { id: string; v: number };
}

const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-group-commit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A Kysely on a file through the group-commit driver, and a second connection to watch the file from outside. */
function open(busyTimeoutMs?: number) {
  const path = join(dir, `g${files++}.db`);
  const raw = new SqliteDatabase(path);
  raw.pragma('journal_mode = WAL');
  raw.exec('create table t (id text primary key, v integer not null check (v >= 0))');
  const db = new Kysely<Tables>({
    dialect: new GroupCommitSqliteDialect(new CachedStatements(raw), raw, busyTimeoutMs),
  });
  const outside = new SqliteDatabase(path, { readonly: true });
  const version = () => outside.pragma('data_version', { simple: true }) as number;
  // Each commit appends at least one 4 KB frame to the WAL: its growth counts commits from outside.
  const walBytes = () => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  const count = () => (outside.prepare('select count(*) as n from t').get() as { n: number }).n;
  const close = async () => {
    outside.close();
    await db.destroy();
  };
  return { db, raw, path, version, walBytes, count, close };
}

const insert = (db: Kysely<Tables>, id: string, v = 1) => db.insertInto('t').values({ id, v }).execute();

describe('GroupCommitSqliteDialect', () => {
  it('commits writes issued in one event-loop turn together, and acknowledges each only once committed', async () => {
    const { db, version, walBytes, count, close } = open();
    const before = { version: version(), wal: walBytes() };
    const writes = Array.from({ length: 50 }, (_, i) => insert(db, `r${i}`));
    // Issued, not yet committed: another connection sees nothing.
    assert.equal(count(), 0);
    await Promise.all(writes);
    assert.equal(count(), 50, 'every acknowledged row is visible to another connection');
    assert.notEqual(version(), before.version);
    // Fifty commits would append fifty frames or more; one commit of one table page appends a couple.
    assert.ok(walBytes() - before.wal < 10 * 4096, `WAL grew by ${walBytes() - before.wal} bytes`);
    await close();
  });

  it('writes of later turns go in later groups', async () => {
    const { db, version, count, close } = open();
    for (let i = 0; i < 3; i++) {
      const before = version();
      await insert(db, `s${i}`);
      assert.notEqual(version(), before, 'each awaited write is its own commit');
      assert.equal(count(), i + 1);
    }
    await close();
  });

  it('a statement that fails is undone alone; the rest of its group commits', async () => {
    const { db, count, close } = open();
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
    assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.match(String((results[2] as PromiseRejectedResult).reason), /CHECK/);
    assert.equal(count(), 3);
    await close();
  });

  it('reads in this process see the group before it commits, and updates and deletes group too', async () => {
    const { db, count, close } = open();
    await Promise.all([insert(db, 'x', 1), insert(db, 'y', 2)]);
    const update = db.updateTable('t').set({ v: 5 }).where('id', '=', 'x').execute();
    const remove = db.deleteFrom('t').where('id', '=', 'y').execute();
    const seen = await db.selectFrom('t').select(['id', 'v']).orderBy('id').execute();
    assert.deepEqual(seen, [{ id: 'x', v: 5 }]);
    await Promise.all([update, remove]);
    assert.equal(count(), 1);
    await close();
  });

  it('an explicit transaction is atomic inside the group: others wait for it, its rollback undoes it alone', async () => {
    const { db, count, close } = open();
    const grouped = insert(db, 'before');
    let waiting: Promise<unknown> | undefined;
    const failed = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 'inside', v: 1 }).execute();
      // Meanwhile another write waits for the transaction rather than joining it.
      waiting = insert(db, 'after');
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(count(), 0, 'the group stays open while a transaction is inside it');
      throw new Error('roll back');
    });
    await assert.rejects(failed, /roll back/);
    await grouped;
    await waiting;
    const ids = await db.selectFrom('t').select('id').orderBy('id').execute();
    assert.deepEqual(
      ids.map((r) => r.id),
      ['after', 'before'],
    );
    assert.equal(count(), 2);
    await close();
  });

  it('an explicit transaction that commits is acknowledged once its group is on disk', async () => {
    const { db, count, close } = open();
    const before = insert(db, 'before');
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 'one', v: 1 }).execute();
      await trx.insertInto('t').values({ id: 'two', v: 2 }).execute();
    });
    assert.equal(count(), 3, 'the transaction and the group it joined are committed');
    await before;
    // A unique violation inside a transaction fails the transaction, not the writes around it.
    const around = insert(db, 'around');
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 'three', v: 3 }).execute();
        await trx.insertInto('t').values({ id: 'one', v: 1 }).execute();
      }),
      /UNIQUE/,
    );
    await around;
    const ids = await db.selectFrom('t').select('id').orderBy('id').execute();
    assert.deepEqual(
      ids.map((r) => r.id),
      ['around', 'before', 'one', 'two'],
    );
    await close();
  });

  it('a transaction whose group fails after it committed leaves the next transaction alone', async () => {
    const { db, raw, count, close } = open();
    await insert(db, 'seed');
    raw.pragma(`max_page_count = ${raw.pragma('page_count', { simple: true })}`);
    // The first transaction's group fails at the big row (disk full) after its RELEASE; the second
    // transaction, waiting meanwhile, must neither be rolled back by the first's clean-up nor fail.
    const first = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 'first', v: 1 }).execute();
    });
    const big = db
      .insertInto('t')
      .values({ id: 'y'.repeat(200_000), v: 1 })
      .execute();
    const results = await Promise.allSettled([first, big]);
    assert.equal(results[1]?.status, 'rejected');
    raw.pragma('max_page_count = 1073741823');
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 'second', v: 2 }).execute();
    });
    const ids = (await db.selectFrom('t').select('id').execute()).map((r) => r.id);
    assert.ok(ids.includes('second'));
    assert.equal(count(), ids.length);
    await close();
  });

  it('a rollback arriving after another transaction took the connection leaves that transaction alone', async () => {
    const { db, raw, count, close } = open();
    // RAISE(ROLLBACK) ends the whole SQLite transaction, failing the group: deterministic, unlike a full disk.
    raw.exec(`create trigger doom before insert on t when new.id = 'doom' begin select raise(rollback, 'doomed'); end`);
    const order: string[] = [];
    // A commits (RELEASE) into the open group; B takes the connection and its statement ends the group's
    // transaction, so A's commit fails after A has let go, and Kysely asks to roll A back while B, then C,
    // own the connection. C holds its savepoint across turns: a stray rollback would undo C's rows.
    const a = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 'a', v: 1 }).execute();
    });
    const b = db.transaction().execute(async (trx) => {
      order.push('b');
      await trx.insertInto('t').values({ id: 'doom', v: 1 }).execute();
    });
    const c = db.transaction().execute(async (trx) => {
      order.push('c');
      await trx.insertInto('t').values({ id: 'c1', v: 1 }).execute();
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      await trx.insertInto('t').values({ id: 'c2', v: 1 }).execute();
    });
    const [ra, rb, rc] = await Promise.allSettled([a, b, c]);
    assert.deepEqual(order, ['b', 'c']);
    assert.equal(ra?.status, 'rejected', "A was in the group that B's statement ended");
    assert.match(String((rb as PromiseRejectedResult).reason), /doomed/);
    assert.equal(rc?.status, 'fulfilled');
    assert.deepEqual(
      (await db.selectFrom('t').select('id').orderBy('id').execute()).map((r) => r.id),
      ['c1', 'c2'],
    );
    assert.equal(count(), 2);
    assert.equal(raw.inTransaction, false);
    await close();
  });

  it('runs DDL and PRAGMAs outside the group, after committing it', async () => {
    const { db, raw, count, close } = open();
    const pending = insert(db, 'p');
    await sql`create table u (id integer primary key)`.execute(db);
    assert.equal(count(), 1, 'the group was committed before the DDL');
    assert.equal(raw.inTransaction, false);
    await pending;
    await sql`pragma foreign_keys = on`.execute(db);
    assert.equal(raw.pragma('foreign_keys', { simple: true }), 1, 'a PRAGMA inside a transaction would be ignored');
    await close();
  });

  it('fails every write of a group whose transaction SQLite ended (the disk is full)', async () => {
    const { db, raw, count, close } = open();
    await insert(db, 'seed');
    const pages = raw.pragma('page_count', { simple: true }) as number;
    raw.pragma(`max_page_count = ${pages}`);
    // Small rows fit in the free space; a large one needs pages the file may no longer grow by.
    const small = insert(db, 'small');
    const big = db
      .insertInto('t')
      .values({ id: 'x'.repeat(200_000), v: 1 })
      .execute();
    const results = await Promise.allSettled([small, big]);
    assert.equal(results[1]?.status, 'rejected');
    assert.match(String((results[1] as PromiseRejectedResult).reason), /full/i);
    // SQLITE_FULL may undo the statement only or the whole transaction; either way nothing
    // acknowledged is missing and nothing missing was acknowledged.
    const committed = count();
    assert.equal(committed, results[0]?.status === 'fulfilled' ? 2 : 1);
    assert.equal(raw.inTransaction, false);
    raw.pragma(`max_page_count = 1073741823`);
    await insert(db, 'later');
    assert.equal(count(), committed + 1, 'the next group works');
    await close();
  });

  it('waits for a write lock another process holds without blocking the event loop', async () => {
    const { db, path, count, close } = open();
    const other = new SqliteDatabase(path);
    other.exec('begin immediate');
    const write = insert(db, 'waited');
    // SQLite's busy handler would sleep on this thread; timers keep firing while the write waits.
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 1);
    while (ticks < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    clearInterval(ticking);
    assert.equal(count(), 0);
    other.exec('commit');
    await write;
    assert.equal(count(), 1);
    other.close();
    await close();
  });

  it('gives up with SQLITE_BUSY (a 503 upstream) when the lock stays held past the timeout', async () => {
    const { db, path, count, close } = open(100);
    const other = new SqliteDatabase(path);
    other.exec('begin immediate');
    await assert.rejects(insert(db, 'refused'), (err: Error & { code?: string }) => err.code === 'SQLITE_BUSY');
    await assert.rejects(
      db.transaction().execute(async (trx) => trx.insertInto('t').values({ id: 'x', v: 1 }).execute()),
      (err: Error & { code?: string }) => err.code === 'SQLITE_BUSY',
    );
    other.exec('commit');
    await insert(db, 'later');
    assert.equal(count(), 1);
    other.close();
    await close();
  });

  it('commits the last group when the database is closed', async () => {
    const { db, raw, close } = open();
    const path = raw.name;
    const pending = insert(db, 'last');
    // Kysely reaches the driver a few microtasks later; the group is open from then until setImmediate.
    for (let i = 0; i < 100 && !raw.inTransaction; i++) await Promise.resolve();
    assert.equal(raw.inTransaction, true);
    await db.destroy();
    await pending;
    const check = new SqliteDatabase(path, { readonly: true });
    assert.equal((check.prepare('select count(*) as n from t').get() as { n: number }).n, 1);
    check.close();
    void close;
  });

  it("a procedure's read answers arrays when asked, and the cached statement answers objects to the next caller", async () => {
    const raw = new SqliteDatabase(join(dir, `g${files++}.db`));
    raw.pragma('journal_mode = WAL');
    raw.exec('create table t (id text primary key, v integer not null)');
    const driver = new GroupCommitDriver(new CachedStatements(raw), raw, 1000, undefined);
    const select = 'select id, v from t where v > ? order by id';
    const arrays = await driver.transact((run) => {
      run('insert into t (id, v) values (?, ?), (?, ?)', ['a', 1, 'b', 2]);
      return run(select, [0], 'arrays').rows;
    });
    assert.deepEqual(arrays, [
      ['a', 1],
      ['b', 2],
    ]);
    // The same SQL text is the same prepared statement: it must not stay in array mode.
    const objects = await driver.transact((run) => run(select, [1]).rows);
    assert.deepEqual(objects, [{ id: 'b', v: 2 }]);
    await driver.destroy();
  });
});
