import { Kysely, sql } from 'kysely';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from './database-url.ts';
import { type ConnectOptions, type DialectName, dialects } from './dialects.ts';
import { loadPg } from './pg-driver.ts';
import type { Database } from './tables.ts';

export interface OpenDatabaseOptions extends ConnectOptions {
  /** `postgres://…`, `sqlite:<path>`, a file path or `:memory:`; default {@link DEFAULT_DATABASE_URL}. */
  url?: string | undefined;
}

/** A connection to the database, before any secret is involved: what `migrate` needs. */
export interface StoreDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The PostgreSQL schema holding the tables, when one was given. */
  readonly schema: string | undefined;
  /**
   * SQLite only: a number that changes when another process commits a write to the file (PRAGMA
   * data_version), or undefined while that is not known yet (asked; ask again). Undefined on
   * PostgreSQL.
   */
  readonly dataVersion: (() => number | undefined) | undefined;
  /** Resolves when the database answers a query (readiness probes). */
  ping(): Promise<void>;
  /** Closes the connection or pool; later calls do nothing. */
  close(): Promise<void>;
}

/**
 * Connects and checks the connection with one query, so a wrong URL or a down server fails here
 * at start rather than on the first login.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<StoreDatabase> {
  const target = parseDatabaseUrl(options.url ?? DEFAULT_DATABASE_URL);
  if (target.dialect === 'postgres') await loadPg();
  const dialect = dialects[target.dialect].connect(target, options);
  const db = new Kysely<Database>({ dialect });
  dialect.attach?.(db);
  const ping = async () => {
    await sql`select 1`.execute(db);
  };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= db.destroy();
    return closing;
  };
  try {
    await ping();
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  const { dataVersion } = dialect;
  return Object.freeze({ db, dialect: target.dialect, schema: options.schema, dataVersion, ping, close });
}
