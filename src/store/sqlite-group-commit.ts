import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type Kysely, SqliteDialect } from 'kysely';
import type { BackgroundCheckpoints } from './sqlite-checkpoints.ts';
import { GroupCommitDriver, savepointSql } from './sqlite-group-commit-driver.ts';
import { attachProcedures, runProcedure } from './sqlite-procedures.ts';
import type { CachedStatements } from './sqlite-statements.ts';
import type { Database } from './tables.ts';

/**
 * Kysely's SQLite driver with group commit. A WAL commit costs more than the statements in it
 * (~130-170 µs per autocommit INSERT against ~20 µs inside a transaction, measured under login
 * load: the dirty pages of the table and each index go to the WAL per commit), and a login made
 * three of them. Here every INSERT, UPDATE and DELETE issued outside an explicit transaction joins
 * one transaction that is open for the rest of the current event-loop turn and committed in
 * `setImmediate`: a hundred concurrent logins make one commit. Each statement's promise resolves
 * only after that COMMIT, so nothing is acknowledged before it is durable; if the COMMIT fails,
 * every statement of the group fails.
 *
 * What a caller can tell: a statement that fails (a constraint) is undone alone, as SQLite undoes a
 * failed statement without ending the transaction; an error that ends the transaction (disk full,
 * I/O) fails the whole group. Reads in this process see the group's writes before they are
 * committed (one connection), which no answer can have revealed yet, since answers wait for the
 * commit. An explicit transaction (`db.transaction()`) is a SAVEPOINT inside the group: atomic
 * on its own (its rollback undoes it alone), alone on the connection while it runs (every other
 * statement waits, as with Kysely's own driver), committed with the group, and its commit resolves
 * once the group's has. DDL and PRAGMAs outside a transaction commit the group first and run alone.
 */
export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #statements: CachedStatements;
  readonly #raw: BetterSqlite3.Database;
  readonly #busyTimeoutMs: number;

  readonly #checkpoints: BackgroundCheckpoints | undefined;

  /**
   * `busyTimeoutMs`: how long a write waits for the lock another process holds (then SQLITE_BUSY).
   * `checkpoints`: the worker checkpointing this file, stopped before the connection closes.
   */
  constructor(
    statements: CachedStatements,
    raw: BetterSqlite3.Database,
    busyTimeoutMs = 5000,
    checkpoints?: BackgroundCheckpoints,
  ) {
    super({ database: statements });
    this.#statements = statements;
    this.#raw = raw;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#checkpoints = checkpoints;
  }

  #driver: GroupCommitDriver | undefined;

  /** One driver: Kysely's and the procedures' ({@link attach}) share the connection's group. */
  override createDriver(): GroupCommitDriver {
    this.#driver ??= new GroupCommitDriver(this.#statements, this.#raw, this.#busyTimeoutMs, this.#checkpoints);
    return this.#driver;
  }

  /** Lets the store call its procedures (./sqlite-procedures.ts) on `db`, the Kysely made on this dialect. */
  attach(db: Kysely<Database>): void {
    attachProcedures(db, (name, args) => runProcedure(this.createDriver(), name, args));
  }
}

/** Kysely's savepoint calls as statements (on ./sqlite-writer-thread.ts's connections). */
export const savepointStatements = {
  savepoint: (name: string) => CompiledQuery.raw(savepointSql.savepoint(name)),
  rollbackTo: (name: string) => CompiledQuery.raw(savepointSql.rollbackTo(name)),
  release: (name: string) => CompiledQuery.raw(savepointSql.release(name)),
};
