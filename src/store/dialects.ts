import { resolve } from 'node:path';
import { type Dialect, type Kysely, PostgresAdapter, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { DatabaseTarget } from './database-url.ts';
import { StoreError } from './errors.ts';
import { pgDriver } from './pg-driver.ts';
import { SearchPathIntrospector } from './pg-introspector.ts';
import { isPostgresUnavailable, ResilientPool } from './pg-pool.ts';
import { BACKSTOP_PAGES, BackgroundCheckpoints, DEFAULT_PAGES } from './sqlite-checkpoints.ts';
import { openSqliteFile } from './sqlite-file.ts';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.ts';
import { CachedStatements } from './sqlite-statements.ts';
import { WriterThreadSqliteDialect } from './sqlite-writer-thread.ts';
import type { Database } from './tables.ts';

export type DialectName = DatabaseTarget['dialect'];

export interface ConnectOptions {
  /** PostgreSQL only: the schema to keep every table in (set as search_path). */
  schema?: string | undefined;
  /** PostgreSQL only: pool size. */
  poolSize?: number | undefined;
  /** How long to wait for a connection (PostgreSQL) or a lock held by another process (SQLite). */
  timeoutMs?: number | undefined;
  /**
   * PostgreSQL only: the longest one statement may take, enforced by the server (statement_timeout)
   * and by the client (a partition that holds packets gets no answer to time out on). Default: none,
   * for migrations and operator commands; the server sets DB_TIMEOUT_MS.
   */
  queryTimeoutMs?: number | undefined;
  /**
   * PostgreSQL only: run repeated statements as named prepared statements (./pg-prepared.ts). The
   * server turns it on unless DB_PREPARED_STATEMENTS=off (a pooler in transaction mode that cannot
   * keep them, PgBouncer before 1.21); one-shot commands leave it off.
   */
  preparedStatements?: boolean | undefined;
  /**
   * SQLite only: checkpoint the WAL from a worker thread instead of inside commits on the event
   * loop (./sqlite-checkpoints.ts). The server turns it on; one-shot commands leave it off.
   */
  backgroundCheckpoints?: boolean | undefined;
  /**
   * SQLite only: run writes and transactions on a thread of their own, reads on the caller's
   * (./sqlite-writer-thread.ts). The server turns it on; one-shot commands leave it off.
   */
  writerThread?: boolean | undefined;
  /** Where connection errors that no query is waiting for go (a pooled connection died). */
  onError?: ((err: Error) => void) | undefined;
}

/**
 * Everything that differs between SQLite and PostgreSQL lives here; the queries above this file
 * are written once. Keep it that way: an `if (dialect === …)` in a repository belongs in here.
 */
interface DialectAdapter {
  connect(
    target: DatabaseTarget,
    options: ConnectOptions,
  ): Dialect & {
    dataVersion?: () => number | undefined;
    /** Called with the Kysely made on the dialect. */
    attach?: (db: Kysely<Database>) => void;
  };
  /** The driver error for a unique-constraint violation, which some writes treat as "lost a race". */
  isUniqueViolation(err: unknown): boolean;
  /** A write that names a row another request deleted meanwhile (the user closed the account). */
  isForeignKeyViolation(err: unknown): boolean;
  /** The database cannot serve now (down, cut off, locked, out of resources): worth a 503, not a 500. */
  isUnavailable(err: unknown): boolean;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const PG_INT8 = 20;

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

export const dialects: Readonly<Record<DialectName, DialectAdapter>> = Object.freeze({
  sqlite: {
    connect(target, options) {
      if (target.dialect !== 'sqlite') throw new TypeError('sqlite adapter given a postgres target');
      if (options.schema !== undefined) {
        throw new StoreError('INVALID_SCHEMA_NAME', 'A schema applies to PostgreSQL only; SQLite keeps one per file.');
      }
      const busyTimeoutMs = Math.trunc(options.timeoutMs ?? 5000);
      const database = openSqliteFile(target.path, busyTimeoutMs);
      const statements = new CachedStatements(database);
      // An in-memory database is one connection's alone: no other thread can open it.
      const file = target.path !== ':memory:';
      const checkpoints =
        options.backgroundCheckpoints && file
          ? new BackgroundCheckpoints(database, target.path, options.onError)
          : undefined;
      if (options.writerThread && file) {
        return new WriterThreadSqliteDialect(
          statements,
          database,
          {
            path: resolve(target.path),
            busyTimeoutMs,
            // The writer commits, so the checkpoints' backstop is its own.
            autocheckpointPages: checkpoints ? BACKSTOP_PAGES : DEFAULT_PAGES,
            onError: options.onError,
          },
          checkpoints,
        );
      }
      return Object.assign(new GroupCommitSqliteDialect(statements, database, busyTimeoutMs, checkpoints), {
        dataVersion: () => statements.dataVersion(),
      });
    },
    isUniqueViolation(err) {
      const code = errorCode(err);
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    isForeignKeyViolation(err) {
      return errorCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY';
    },
    isUnavailable(err) {
      // Another process held the lock past busy_timeout, or the disk refused: nothing the client did.
      const code = errorCode(err);
      return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN)/.test(code);
    },
  },

  postgres: {
    connect(target, options) {
      if (target.dialect !== 'postgres') throw new TypeError('postgres adapter given a sqlite target');
      const { schema } = options;
      if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
        throw new StoreError(
          'INVALID_SCHEMA_NAME',
          'The schema name must be lower-case letters, digits and underscores, starting with a letter or underscore.',
        );
      }
      const queryTimeout = options.queryTimeoutMs;
      const onError = options.onError ?? (() => {});
      const pool = new ResilientPool(
        {
          connectionString: target.connectionString,
          max: options.poolSize ?? 10,
          // Bounds both the wait for a free pooled connection and the making of a new one.
          connectionTimeoutMillis: options.timeoutMs ?? 10_000,
          // A peer that vanished without a FIN (a cut cable, a dead NAT entry) is noticed by TCP.
          keepAlive: true,
          ...(queryTimeout !== undefined && { statement_timeout: queryTimeout, query_timeout: queryTimeout }),
          // Unqualified table names resolve to the schema, so the queries stay the same on both dialects.
          ...(schema !== undefined && { options: `-c search_path=${schema}` }),
          // Times are BIGINT epoch milliseconds; pg hands int8 back as a string unless told otherwise.
          // Scoped to this pool, not pg.types, so other pg users in the process are not affected.
          types: {
            getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
              oid === PG_INT8 && format !== 'binary'
                ? (value: string) => Number(value)
                : pgDriver().types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
          },
        },
        onError,
        options.preparedStatements ?? false,
      );
      const dialect = new PostgresDialect({ pool });
      return {
        createAdapter: () => dialect.createAdapter(),
        createDriver: () => dialect.createDriver(),
        createQueryCompiler: () => dialect.createQueryCompiler(),
        createIntrospector: (db) => new SearchPathIntrospector(db),
      };
    },
    isUniqueViolation(err) {
      return errorCode(err) === '23505';
    },
    isForeignKeyViolation(err) {
      return errorCode(err) === '23503';
    },
    isUnavailable: isPostgresUnavailable,
  },
});

/** True when any dialect reads `err` as a foreign-key violation: a row this write names is gone. */
export function isForeignKeyViolation(err: unknown): boolean {
  return Object.values(dialects).some((adapter) => adapter.isForeignKeyViolation(err));
}

/** True when any dialect reads `err` as "the database cannot serve now" (API: DATABASE_UNAVAILABLE). */
export function isDatabaseUnavailable(err: unknown): boolean {
  return Object.values(dialects).some((adapter) => adapter.isUnavailable(err));
}

/** True when any dialect reads `err` as a unique violation, so repositories need not know which one runs. */
export function isUniqueViolation(err: unknown): boolean {
  return Object.values(dialects).some((adapter) => adapter.isUniqueViolation(err));
}

/**
 * True when `db` talks to PostgreSQL: for the few statements written twice, where PostgreSQL can
 * do in one round trip (a data-modifying CTE) what SQLite does in a local transaction.
 */
// biome-ignore lint/suspicious/noExplicitAny: any database schema
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
