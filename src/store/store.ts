import { type OpenDatabaseOptions, openDatabase, type StoreDatabase } from './database.ts';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from './database-url.ts';
import { migrateToLatest } from './migrate.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';

export interface OpenStoreOptions extends OpenDatabaseOptions {
  /** 32 bytes (base64 or hex text, or raw bytes): encrypts session keys and private keys at rest. */
  secretKey: string | Uint8Array;
  /** Older keys, newest first: they still open what they sealed (see `keys reseal`). */
  previousSecretKeys?: readonly (string | Uint8Array)[] | undefined;
  /** Run pending migrations before returning (default true). */
  migrate?: boolean | undefined;
}

/** The database plus the key that seals secrets in it: what repositories that touch secrets take. */
export interface Store extends StoreDatabase {
  readonly box: SecretBox;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  // The key is checked before connecting, so a bad one fails without touching the database.
  const box = createSecretBox(options.secretKey, options.previousSecretKeys);
  const postgres = parseDatabaseUrl(options.url ?? DEFAULT_DATABASE_URL).dialect === 'postgres';
  if ((options.migrate ?? true) && postgres && options.queryTimeoutMs !== undefined) {
    // A migration (an index on a large table) may rightly take longer than any request's statement.
    const unbounded = await openDatabase({ ...options, queryTimeoutMs: undefined, poolSize: 1 });
    try {
      await migrateToLatest(unbounded);
    } finally {
      await unbounded.close();
    }
    return Object.freeze({ ...(await openDatabase(options)), box });
  }
  const database = await openDatabase(options);
  try {
    if (options.migrate ?? true) await migrateToLatest(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return Object.freeze({ ...database, box });
}
