import { Migrator } from 'kysely';
import type { StoreDatabase } from './database.ts';
import { StoreError } from './errors.ts';
import { migrationProvider } from './migrations/index.ts';

/**
 * Brings the schema up to date and returns the names of the migrations it ran (none when it was
 * current). Safe to run from several instances at once: Kysely takes a lock (an advisory lock on
 * PostgreSQL) around the run.
 */
export async function migrateToLatest(database: Pick<StoreDatabase, 'db' | 'schema'>): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: migrationProvider,
    // Kysely looks for its bookkeeping table in every schema unless told which one is ours.
    ...(database.schema !== undefined && { migrationTableSchema: database.schema }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreError(
      'MIGRATION_FAILED',
      failed ? `Migration ${failed} failed: ${reason}` : `Migrations failed: ${reason}`,
      { cause: error },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
