import { CompiledQuery, type Insertable, type Kysely } from 'kysely';
import { isPostgres } from './dialects.ts';
import { type GroupedTable, type GroupedTables, insertText, insertValues } from './insert-text.ts';
import type { Database } from './tables.ts';

/** At most this many rows in one INSERT (one SQL text per count: the statement cache stays small). */
const MAX_BATCH = 64;

interface Pending<T extends GroupedTable> {
  row: Insertable<GroupedTables[T]>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: a row inserted while an INSERT into its table is in flight waits for it and goes
 * in the next one, with every other row that arrived meanwhile. Each caller still resolves only
 * once its own row is committed — nothing is acknowledged before it is durable, so nothing is lost
 * at shutdown or in a crash —, but under load a hundred logins cost a few multi-row INSERTs instead
 * of a hundred commits (each a round trip and a WAL flush). Alone, a row is written at once. A
 * batch the database refuses is written again row by row, so one bad row (a session for a user
 * deleted meanwhile) fails only its own caller.
 */
class GroupedInserts<T extends GroupedTable> {
  readonly #db: Kysely<Database>;
  readonly #table: T;
  #queue: Pending<T>[] = [];
  #writing = false;

  constructor(db: Kysely<Database>, table: T) {
    this.#db = db;
    this.#table = table;
  }

  write(row: Insertable<GroupedTables[T]>): Promise<void> {
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
          await insertRows(
            this.#db,
            this.#table,
            batch.map((p) => p.row),
          );
          for (const p of batch) p.resolve();
        } catch (err) {
          if (batch.length === 1) batch[0]?.reject(err);
          else
            await Promise.all(batch.map((p) => insertRows(this.#db, this.#table, [p.row]).then(p.resolve, p.reject)));
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}

/**
 * One multi-row INSERT as SQL text, kept per row count: these run on every login and refresh,
 * and Kysely's builder cost more per batch (15-45 µs) than SQLite's execution of it. Inside a
 * transaction it commits or rolls back with it.
 */
export async function insertRows<T extends GroupedTable>(
  db: Kysely<Database>,
  table: T,
  rows: readonly Insertable<GroupedTables[T]>[],
): Promise<void> {
  await db.executeQuery(CompiledQuery.raw(insertText(table, rows.length, isPostgres(db)), insertValues(table, rows)));
}

const writers = new WeakMap<Kysely<Database>, Map<GroupedTable, GroupedInserts<GroupedTable>>>();

/** Inserts the row, grouped with concurrent ones into the same table; inside a transaction, on its own. */
export async function insertGrouped<T extends GroupedTable>(
  db: Kysely<Database>,
  table: T,
  row: Insertable<GroupedTables[T]>,
): Promise<void> {
  // A transaction's writes must commit or roll back with it.
  if (db.isTransaction) {
    await insertRows(db, table, [row]);
    return;
  }
  let tables = writers.get(db);
  if (!tables) {
    tables = new Map();
    writers.set(db, tables);
  }
  let writer = tables.get(table) as GroupedInserts<T> | undefined;
  if (!writer) {
    writer = new GroupedInserts(db, table);
    tables.set(table, writer as unknown as GroupedInserts<GroupedTable>);
  }
  await writer.write(row);
}
