import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from '../../src/store/index.ts';
import { BackgroundCheckpoints } from '../../src/store/sqlite-checkpoints.ts';

const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-checkpoints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Polls until `done` holds; bounded by the count of tries, not by a wall-clock assumption. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) await sleep(50);
  assert.ok(done(), what);
}

describe('background WAL checkpoints', () => {
  it('copy the WAL into the database file from the worker while the connection never checkpoints', async () => {
    const path = join(dir, 'a.db');
    const store = await openDatabase({ url: `sqlite:${path}`, backgroundCheckpoints: true });
    await sql`create table t (id integer primary key, v text)`.execute(store.db);
    const before = statSync(path).size;
    // About 1,200 pages of rows: inside the connection's backstop (10,000), so only the worker
    // can have copied them into the file.
    for (let i = 0; i < 40; i++) {
      await Promise.all(
        Array.from({ length: 30 }, () => sql`insert into t (v) values (${'x'.repeat(4000)})`.execute(store.db)),
      );
    }
    await until(() => statSync(path).size > before + 1_000 * 4096, 'the worker checkpointed the WAL into the file');
    await store.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the worker closed first, so the last close removed the WAL');
  });

  it('the connection checkpoints itself again when the worker stops', async () => {
    const path = join(dir, 'b.db');
    const raw = new SqliteDatabase(path);
    raw.pragma('journal_mode = WAL');
    const checkpoints = new BackgroundCheckpoints(raw, path);
    assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), 10_000);
    await checkpoints.stop();
    assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), 1_000);
    raw.close();
  });

  it('a worker that cannot open the file reports it, and the connection keeps checkpointing itself', async () => {
    const path = join(dir, 'c.db');
    const raw = new SqliteDatabase(path);
    raw.pragma('journal_mode = WAL');
    const errors: Error[] = [];
    const checkpoints = new BackgroundCheckpoints(raw, join(dir, 'missing', 'c.db'), (err) => errors.push(err));
    // The worker never holds the process open; this test does, until the worker has failed.
    const hold = setInterval(() => {}, 1_000);
    await checkpoints.exited;
    clearInterval(hold);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /unable to open|directory does not exist|SQLITE_CANTOPEN/i);
    assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), 1_000);
    raw.close();
  });

  it('an in-memory database has no worker, and the default stays off for one-shot commands', async () => {
    const memory = await openDatabase({ url: ':memory:', backgroundCheckpoints: true });
    await memory.close();
    const path = join(dir, 'd.db');
    const store = await openDatabase({ url: `sqlite:${path}` });
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
    assert.equal(rows[0]?.wal_autocheckpoint, 1_000);
    await store.close();
  });
});
