import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { listAuditEvents, recordAuditEvent } from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';

/**
 * Counts the statements executed through a Kysely (here only the audit log's INSERTs go through
 * it). Results, not queries: the grouped INSERT is SQL text, which plugins see only as a result.
 */
class CountInserts implements KyselyPlugin {
  inserts = 0;
  transformQuery(args: PluginTransformQueryArgs) {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs) {
    this.inserts++;
    return args.result;
  }
}

forEachDialect('audit log group commit', (h) => {
  it('commits every concurrent event, in fewer INSERTs than events, each caller after its own row', async () => {
    const store = await h.openStore();
    const counter = new CountInserts();
    const db = store.db.withPlugin(counter);
    const userId = 'u_group_commit';
    await Promise.all(
      Array.from({ length: 150 }, (_, i) => recordAuditEvent(db, { type: 'login', userId, details: { i } }, 1000 + i)),
    );
    const events = await listAuditEvents(store.db, { userId, limit: 500 });
    assert.equal(events.length, 150);
    assert.deepEqual(new Set(events.map((e) => e.details?.i)).size, 150);
    assert.ok(counter.inserts > 0 && counter.inserts < 150, `${counter.inserts} INSERTs for 150 events`);
    // Alone, an event is written at once and is readable when the call resolves.
    await recordAuditEvent(db, { type: 'logout', userId }, 5000);
    assert.equal((await listAuditEvents(store.db, { userId, type: 'logout' })).length, 1);
  });

  it('inside a transaction, an event commits or rolls back with it', async () => {
    const store = await h.openStore();
    const userId = 'u_in_trx';
    await store.db
      .transaction()
      .execute(async (trx) => {
        await recordAuditEvent(trx, { type: 'login', userId });
        throw new Error('roll back');
      })
      .catch(() => {});
    assert.equal((await listAuditEvents(store.db, { userId })).length, 0);
  });

  it('a failed INSERT fails the events it carried, and the next ones are written', async () => {
    const store = await h.openStore();
    const userId = 'u_fail';
    // A row the database refuses (type is NOT NULL) fails its INSERT.
    const bad = recordAuditEvent(store.db, { type: null as unknown as 'login', userId });
    await assert.rejects(bad);
    await recordAuditEvent(store.db, { type: 'login', userId });
    assert.equal((await listAuditEvents(store.db, { userId })).length, 1);
  });
});
