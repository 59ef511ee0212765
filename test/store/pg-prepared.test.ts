import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../../src/store/index.ts';
import { PreparedStatements } from '../../src/store/pg-prepared.ts';
import { forEachDialect, TEST_DATABASE_URL } from '../helpers/databases.ts';

describe('PreparedStatements', () => {
  it('names a text the second time it is seen, the same name every time after', () => {
    const prepared = new PreparedStatements();
    assert.equal(prepared.nameFor('select $1'), undefined);
    const name = prepared.nameFor('select $1');
    assert.match(name ?? '', /^wa_[A-Za-z0-9_-]{22}$/);
    assert.equal(prepared.nameFor('select $1'), name);
    assert.notEqual(prepared.nameFor('select $1, $2') ?? prepared.nameFor('select $1, $2'), name);
  });

  it('keeps at most 256 names; a refused text runs unnamed from then on', () => {
    const prepared = new PreparedStatements();
    const texts = Array.from({ length: 300 }, (_, i) => `select $1 + ${i}`);
    for (const text of texts) prepared.nameFor(text);
    const named = texts.filter((text) => prepared.nameFor(text) !== undefined);
    assert.equal(named.length, 256);
    const [first] = named as [string];
    prepared.refuse(first);
    assert.equal(prepared.nameFor(first), undefined);
    assert.equal(prepared.nameFor(first), undefined);
  });

  it('a text first seen after thousands of one-off texts is still prepared on its second use', () => {
    const prepared = new PreparedStatements();
    for (let i = 0; i < 5000; i++) prepared.nameFor(`select $1 + ${i}`);
    assert.equal(prepared.nameFor('select $1 * 2'), undefined);
    assert.match(prepared.nameFor('select $1 * 2') ?? '', /^wa_/);
    // The oldest one-off texts were forgotten: a second sight of one counts as its first again.
    assert.equal(prepared.nameFor('select $1 + 0'), undefined);
  });
});

forEachDialect(
  'PostgreSQL prepared statements',
  (h) => {
    it('runs a repeated statement as a named prepared statement on the connection', async () => {
      const database = await h.freshDatabase();
      const db = h.track(
        await openDatabase({ url: database.url, schema: database.schema, poolSize: 1, preparedStatements: true }),
      );
      for (let i = 0; i < 3; i++) {
        const { rows } = await sql<{ n: number }>`select ${i}::int + 1 as n`.execute(db.db);
        assert.deepEqual(rows, [{ n: i + 1 }]);
      }
      // One pooled connection: the view shows what this very connection has prepared.
      const { rows } = await sql<{ name: string; statement: string }>`
        select name, statement from pg_prepared_statements`.execute(db.db);
      const ours = rows.filter((r) => r.name.startsWith('wa_'));
      assert.ok(
        ours.some((r) => r.statement.includes('::int + 1 as n')),
        `prepared: ${JSON.stringify(rows)}`,
      );
    });

    it('a schema change that alters a prepared statement’s result runs it again unnamed', async () => {
      const database = await h.freshDatabase();
      const db = h.track(
        await openDatabase({ url: database.url, schema: database.schema, poolSize: 1, preparedStatements: true }),
      );
      await sql`create table t (id int primary key, v text)`.execute(db.db);
      await sql`insert into t values (1, 'a')`.execute(db.db);
      const read = () => sql<Record<string, unknown>>`select * from t where id = ${1}`.execute(db.db);
      await read();
      assert.deepEqual((await read()).rows, [{ id: 1, v: 'a' }]);
      // A migration from another process (`weapp-auth migrate` beside a running server).
      const admin = new pg.Client({
        connectionString: TEST_DATABASE_URL,
        options: `-c search_path=${database.schema}`,
      });
      await admin.connect();
      try {
        await admin.query('alter table t add column w text');
      } finally {
        await admin.end();
      }
      assert.deepEqual((await read()).rows, [{ id: 1, v: 'a', w: null }]);
      assert.deepEqual((await read()).rows, [{ id: 1, v: 'a', w: null }]);
    });

    it('off (DB_PREPARED_STATEMENTS=off, the default of one-shot commands): nothing is prepared', async () => {
      const database = await h.freshDatabase();
      const db = h.track(await openDatabase({ url: database.url, schema: database.schema, poolSize: 1 }));
      for (let i = 0; i < 3; i++) await sql`select ${i}::int + 2 as n`.execute(db.db);
      const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(db.db);
      assert.deepEqual(rows, []);
    });
  },
  { only: ['postgres'] },
);
