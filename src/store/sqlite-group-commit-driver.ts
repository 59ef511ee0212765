import { setTimeout as sleep } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import SqliteDatabase from 'better-sqlite3';
import type { DatabaseConnection, Driver, QueryResult } from 'kysely';
import type { BackgroundCheckpoints } from './sqlite-checkpoints.ts';
import type { CachedStatements } from './sqlite-statements.ts';

/**
 * The group commit itself (./sqlite-group-commit.ts has the Kysely dialect around it). Kysely is
 * only named here as types: the writer thread (./sqlite-writer-worker.ts) runs this driver without
 * loading Kysely, whose modules would cost the thread's heap 12 MB.
 */

/** What a statement to run is: Kysely's CompiledQuery has these and more. */
export interface SqlStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

const statement = (sql: string, parameters: readonly unknown[] = []): SqlStatement => ({ sql, parameters });

/** Kysely's savepoint calls, as SQL. */
export const savepointSql = {
  savepoint: (name: string) => `savepoint ${quoteIdentifier(name)}`,
  rollbackTo: (name: string) => `rollback to ${quoteIdentifier(name)}`,
  release: (name: string) => `release ${quoteIdentifier(name)}`,
};

/** A savepoint name as an SQLite identifier (double quotes, doubled inside), as Kysely's compiler writes it. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The longest pause between two tries for a write lock another process holds. */
const MAX_LOCK_POLL_MS = 8;
/** The savepoint an explicit transaction is inside its group. */
const TRANSACTION = 'weapp_auth_transaction';
/** INSERT, UPDATE, DELETE: the writes a group may hold. Anything else (DDL, PRAGMA, WITH …) runs alone. */
const GROUPABLE = /^\s*(insert|update|delete|replace)\s/i;

interface Group {
  /** Settles when the group's COMMIT has (or has not) reached the disk. */
  committed: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommitDriver implements Driver {
  readonly #statements: CachedStatements;
  readonly #raw: BetterSqlite3.Database;
  readonly #busyTimeoutMs: number;
  /** Set while a caller waits (without blocking the event loop) for another process's write lock. */
  #locking: Promise<void> | undefined;
  /** The connection inside an explicit transaction; every other statement waits for it. */
  #owner: DatabaseConnection | undefined;
  #ownerReleased: Promise<void> | undefined;
  #releaseOwner: (() => void) | undefined;
  #group: Group | undefined;

  readonly #noBusyWait: BetterSqlite3.Statement;
  readonly #busyWait: BetterSqlite3.Statement;

  readonly #checkpoints: BackgroundCheckpoints | undefined;

  constructor(
    statements: CachedStatements,
    raw: BetterSqlite3.Database,
    busyTimeoutMs: number,
    checkpoints: BackgroundCheckpoints | undefined,
  ) {
    this.#statements = statements;
    this.#raw = raw;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#checkpoints = checkpoints;
    // Prepared once: a group opens on every event-loop turn that writes.
    this.#noBusyWait = raw.prepare('pragma busy_timeout = 0');
    this.#busyWait = raw.prepare(`pragma busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new GroupCommitConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    for (;;) {
      while (this.#owner) await this.#ownerReleased;
      if (this.#group || (!this.#locking && this.#tryBegin())) break;
      // Then look again: another transaction may have begun while this one waited for the lock.
      await this.#lock();
    }
    this.#owner = connection;
    this.#ownerReleased = new Promise((resolve) => {
      this.#releaseOwner = resolve;
    });
    try {
      this.#raw.exec(`savepoint ${TRANSACTION}`);
    } catch (err) {
      this.#endTransaction();
      throw err;
    }
  }

  async commitTransaction(): Promise<void> {
    const group = this.#group;
    // A failed RELEASE leaves the savepoint for the ROLLBACK Kysely asks for next.
    this.#raw.exec(`release ${TRANSACTION}`);
    this.#endTransaction();
    await group?.committed;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // A transaction whose group failed after its RELEASE is over already; another may own the
    // connection by now, and its savepoint is not this one's to roll back.
    if (this.#owner !== connection) return;
    try {
      // Unless SQLite already ended the whole transaction (and failed the group with it).
      if (this.#raw.inTransaction) {
        this.#raw.exec(`rollback to ${TRANSACTION}`);
        this.#raw.exec(`release ${TRANSACTION}`);
      }
    } finally {
      this.#endTransaction();
    }
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.execute(connection, statement(savepointSql.savepoint(name)));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.execute(connection, statement(savepointSql.rollbackTo(name)));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.execute(connection, statement(savepointSql.release(name)));
  }

  /**
   * Runs `work` as one explicit transaction (a savepoint in the group, as {@link beginTransaction}),
   * its statements through `run` on this thread without a pause: the store's procedures
   * (./sqlite-procedures.ts). Rolled back alone if it throws; resolves once the group is committed.
   */
  async transact<T>(
    work: (run: (sql: string, parameters: readonly unknown[], arrays?: 'arrays') => QueryResult<unknown>) => T,
  ): Promise<T> {
    const connection = new GroupCommitConnection(this);
    await this.beginTransaction(connection);
    let result: T;
    try {
      result = work((sql, parameters, arrays) => this.#runInGroup(statement(sql, parameters), arrays));
    } catch (err) {
      await this.rollbackTransaction(connection);
      throw err;
    }
    await this.commitTransaction();
    return result;
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    // The last group's writes are committed before the file is closed.
    if (!this.#owner) this.commitGroup();
    // The worker's connection closes first: the last one to close removes the WAL.
    await this.#checkpoints?.stop();
    this.#statements.close();
  }

  #endTransaction(): void {
    this.#owner = undefined;
    this.#releaseOwner?.();
    this.#releaseOwner = undefined;
    this.#ownerReleased = undefined;
    // The group's commit waited for the transaction; the writes that waited may still join it.
    const group = this.#group;
    if (group) setImmediate(() => this.#group === group && this.commitGroup());
  }

  /** Runs one statement for `connection`, waiting out another's explicit transaction. */
  async execute(connection: DatabaseConnection, query: SqlStatement): Promise<QueryResult<unknown>> {
    for (;;) {
      while (this.#owner && this.#owner !== connection) await this.#ownerReleased;
      if (this.#owner === connection) return this.#runInGroup(query);
      if (!GROUPABLE.test(query.sql)) break;
      // Uncontended, the group opens here and now: the statement runs in this call, in order.
      const group = this.#group ?? (!this.#locking && this.#tryBegin() ? this.#group : undefined);
      if (group) {
        const result = this.#runInGroup(query);
        await group.committed;
        return result;
      }
      await this.#lock();
    }
    const statement = this.#statements.prepare(query.sql) as BetterSqlite3.Statement;
    // DDL and PRAGMAs run outside the group (PRAGMAs such as foreign_keys are ignored inside one).
    if (!statement.reader) this.commitGroup();
    return this.#run(query);
  }

  async *stream(query: SqlStatement): AsyncIterableIterator<QueryResult<unknown>> {
    const prepared = this.#statements.prepare(query.sql) as BetterSqlite3.Statement;
    if (!prepared.reader || !prepared.readonly) throw new Error('The SQLite driver streams reads only');
    for (const row of prepared.iterate(query.parameters as unknown[])) yield { rows: [row] };
  }

  #runInGroup(query: SqlStatement, arrays?: 'arrays'): QueryResult<unknown> {
    const group = this.#group;
    try {
      return this.#run(query, arrays);
    } catch (err) {
      // Errors that end the transaction (I/O, disk full) took the group's other writes with them.
      if (group && !this.#raw.inTransaction) this.#failGroup(group, err);
      throw err;
    }
  }

  #run(query: SqlStatement, arrays?: 'arrays'): QueryResult<unknown> {
    const statement = this.#statements.prepare(query.sql) as BetterSqlite3.Statement;
    const parameters = query.parameters as unknown[];
    if (statement.reader) {
      if (!arrays) return { rows: statement.all(parameters) };
      // The statement is cached by its text for every caller: back to objects after.
      try {
        return { rows: statement.raw(true).all(parameters) };
      } finally {
        statement.raw(false);
      }
    }
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  /**
   * Opens a group: BEGIN IMMEDIATE, the write lock now rather than at the first write after a read
   * (where WAL refuses an upgrade without waiting). While another process (a worker, the CLI) holds
   * the lock, this waits with timers instead of in SQLite's busy handler, which sleeps on the
   * event loop's thread and would stall every request of this process meanwhile.
   */
  #lock(): Promise<void> {
    this.#locking ??= this.#waitForLock().finally(() => {
      this.#locking = undefined;
    });
    return this.#locking;
  }

  async #waitForLock(): Promise<void> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, MAX_LOCK_POLL_MS)) {
      if (this.#group || this.#tryBegin()) return;
      if (Date.now() >= deadline) {
        throw new SqliteDatabase.SqliteError(
          `another process held the database's write lock for longer than ${this.#busyTimeoutMs} ms`,
          'SQLITE_BUSY',
        );
      }
      await sleep(waitMs);
    }
  }

  #tryBegin(): boolean {
    // busy_timeout 0 for this one statement only: reads and checkpoints keep SQLite's own wait.
    this.#noBusyWait.run();
    try {
      this.#raw.exec('begin immediate');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return false;
      throw err;
    } finally {
      this.#busyWait.run();
    }
    let resolve = () => {};
    let reject: (err: unknown) => void = () => {};
    const committed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers await it; a group nobody awaits any more must not become an unhandled rejection.
    committed.catch(() => {});
    const group: Group = { committed, resolve, reject };
    this.#group = group;
    setImmediate(() => {
      if (this.#group === group) this.commitGroup();
    });
    return true;
  }

  /** Commits the open group now (before DDL, or closing); not while a transaction is inside it. */
  commitGroup(): void {
    const group = this.#group;
    if (!group || this.#owner) return;
    this.#group = undefined;
    try {
      this.#raw.exec('commit');
      group.resolve();
    } catch (err) {
      this.#failGroup(group, err);
    }
  }

  #failGroup(group: Group, err: unknown): void {
    if (this.#group === group) this.#group = undefined;
    if (this.#raw.inTransaction) {
      try {
        this.#raw.exec('rollback');
      } catch {
        // Already rolled back by SQLite; nothing is left to undo.
      }
    }
    group.reject(err);
  }
}

class GroupCommitConnection implements DatabaseConnection {
  readonly #driver: GroupCommitDriver;

  constructor(driver: GroupCommitDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(query: SqlStatement): Promise<QueryResult<R>> {
    return this.#driver.execute(this, query) as Promise<QueryResult<R>>;
  }

  streamQuery<R>(query: SqlStatement): AsyncIterableIterator<QueryResult<R>> {
    return this.#driver.stream(query) as AsyncIterableIterator<QueryResult<R>>;
  }
}
