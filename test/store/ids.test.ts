import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { newId, newTimeOrderedId } from '../../src/store/ids.ts';
import { forEachDialect } from '../helpers/databases.ts';

const SHAPE = /^[sa]_[a-z2-7]{26}$/;
const time = fc.integer({ min: 0, max: 2 ** 48 - 1 });

describe('newTimeOrderedId', () => {
  it('has the shape of every other id', () => {
    fc.assert(
      fc.property(time, fc.constantFrom('s' as const, 'a' as const), (now, prefix) => {
        const id = newTimeOrderedId(prefix, now);
        assert.match(id, SHAPE);
        assert.ok(id.startsWith(`${prefix}_`));
      }),
    );
    // The same characters as a random id, so nothing that checks ids can tell them apart.
    assert.match(newId('s'), SHAPE);
  });

  it('sorts as the times it was made at, whatever the random part', () => {
    fc.assert(
      fc.property(time, time, (a, b) => {
        fc.pre(a !== b);
        const [earlier, later] = a < b ? [a, b] : [b, a];
        // Plain string comparison: what a B-tree on a text column does (SQLite's BINARY collation).
        assert.ok(newTimeOrderedId('s', earlier) < newTimeOrderedId('s', later));
      }),
    );
  });

  it('keeps 80 random bits: ids made in the same millisecond differ and do not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(newTimeOrderedId('s', 1_700_000_000_000));
    assert.equal(seen.size, 50_000);
    const suffixes = new Set([...seen].map((id) => id.slice(12)));
    assert.equal(suffixes.size, 50_000);
  });

  it('clamps times outside 48 bits instead of wrapping', () => {
    assert.ok(newTimeOrderedId('s', -5) < newTimeOrderedId('s', 1));
    assert.ok(newTimeOrderedId('s', 2 ** 48 - 2) <= newTimeOrderedId('s', 2 ** 60));
  });
});

forEachDialect('time-ordered ids in the database', (h) => {
  it("sort by time under the database's own collation, as its indexes order them", async () => {
    const store = await h.openStore();
    const ids = Array.from({ length: 200 }, (_, i) => newTimeOrderedId('a', 1_700_000_000_000 + i * 37));
    const shuffled = ids.slice().sort(() => Math.random() - 0.5);
    await store.db
      .insertInto('audit_events')
      .values(shuffled.map((id, i) => ({ id, at: i, type: 'login' })))
      .execute();
    const { rows } = await sql<{ id: string }>`select id from audit_events order by id`.execute(store.db);
    assert.deepEqual(
      rows.map((r) => r.id),
      ids,
    );
  });
});
