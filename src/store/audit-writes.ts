import type { Insertable, Kysely } from 'kysely';
import type { AuditEventsTable, Database } from './tables.ts';

/** At most this many events in one INSERT (one SQL text per count: the statement cache stays small). */
const MAX_BATCH = 64;

interface Pending {
  row: Insertable<AuditEventsTable>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the audit log: an event recorded while an insert is in flight waits for it
 * and goes in the next one, with every other event that arrived meanwhile. Each caller still
 * resolves only once its own row is committed — nothing is acknowledged before it is durable, so
 * nothing is lost at shutdown or in a crash —, but under load a hundred logins cost a few
 * multi-row INSERTs instead of a hundred commits (each a round trip and a WAL flush). Alone, an
 * event is written at once, as before.
 */
class AuditWriter {
  readonly #db: Kysely<Database>;
  #queue: Pending[] = [];
  #writing = false;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  write(row: Insertable<AuditEventsTable>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          await this.#db
            .insertInto('audit_events')
            .values(batch.map((p) => p.row))
            .execute();
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}

const writers = new WeakMap<Kysely<Database>, AuditWriter>();

/** Inserts the row, grouped with concurrent ones on the same database; inside a transaction, on its own. */
export function insertAuditRow(db: Kysely<Database>, row: Insertable<AuditEventsTable>): Promise<void> {
  // A transaction's writes must commit or roll back with it.
  if (db.isTransaction)
    return db
      .insertInto('audit_events')
      .values(row)
      .execute()
      .then(() => {});
  let writer = writers.get(db);
  if (!writer) {
    writer = new AuditWriter(db);
    writers.set(db, writer);
  }
  return writer.write(row);
}
