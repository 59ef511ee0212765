import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * better-sqlite3 for Kysely with each statement prepared once: Kysely's driver calls `prepare` for
 * every query, and compiling the SQL was a tenth of a login's CPU. Queries are built by Kysely, so
 * one query shape is one SQL text with `?` placeholders; the values never enter the key. Bounded
 * (least recently used go first) so SQL that varies, such as an `in (…)` list, cannot grow it.
 */
export class CachedStatements implements SqliteDatabase {
  readonly #db: BetterSqlite3.Database;
  readonly #capacity: number;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  #dataVersion: BetterSqlite3.Statement | undefined;

  constructor(db: BetterSqlite3.Database, capacity = 500) {
    this.#db = db;
    this.#capacity = capacity;
  }

  prepare(sql: string): SqliteStatement {
    const cached = this.#statements.get(sql);
    // A statement still being iterated (a streamed query) cannot run again until it finishes.
    if (cached && !cached.busy) {
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const statement = this.#db.prepare(sql);
    if (cached) return statement;
    this.#statements.set(sql, statement);
    if (this.#statements.size > this.#capacity) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return statement;
  }

  /**
   * PRAGMA data_version: changes whenever another connection — another process, a worker, the
   * CLI — committed a write to the file; never for this connection's own writes. Caches of
   * database state compare it to know when something outside this process changed the data.
   */
  dataVersion(): number {
    this.#dataVersion ??= this.#db.prepare('pragma data_version').pluck();
    return this.#dataVersion.get() as number;
  }

  /** How many statements are kept (tests). */
  get size(): number {
    return this.#statements.size;
  }

  close(): void {
    this.#statements.clear();
    this.#dataVersion = undefined;
    this.#db.close();
  }
}
