import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { CachedStatements } from '../../src/store/sqlite-statements.ts';

describe('CachedStatements', () => {
  const open = (capacity?: number) => {
    const db = new SqliteDatabase(':memory:');
    db.exec('create table t (id integer primary key, v text)');
    return new CachedStatements(db, capacity);
  };

  it('prepares one SQL text once and runs it with each call’s values', () => {
    const db = open();
    const insert = db.prepare('insert into t (v) values (?)');
    assert.equal(db.prepare('insert into t (v) values (?)'), insert);
    insert.run(['a']);
    db.prepare('insert into t (v) values (?)').run(['b']);
    assert.deepEqual(db.prepare('select v from t order by id').all([]), [{ v: 'a' }, { v: 'b' }]);
    assert.equal(db.size, 2);
    db.close();
  });

  it('keeps at most its capacity, dropping the least recently used', () => {
    const db = open(2);
    const first = db.prepare('select 1');
    db.prepare('select 2');
    db.prepare('select 1');
    db.prepare('select 3');
    assert.equal(db.size, 2);
    assert.equal(db.prepare('select 1'), first, 'recently used, so kept');
    db.close();
  });

  it('hands a fresh statement while the cached one is still being iterated', () => {
    const db = open();
    db.prepare('insert into t (v) values (?)').run(['a']);
    db.prepare('insert into t (v) values (?)').run(['b']);
    const outer = db.prepare('select v from t order by id');
    const seen: unknown[] = [];
    for (const row of outer.iterate([])) {
      seen.push(row, db.prepare('select v from t order by id').all([]).length);
    }
    assert.deepEqual(seen, [{ v: 'a' }, 2, { v: 'b' }, 2]);
    db.close();
  });
});
