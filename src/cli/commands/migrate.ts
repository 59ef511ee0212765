import type { Command } from 'commander';
import { DEFAULT_DATABASE_URL, migrateToLatest, openDatabase } from '../../store/index.ts';
import { loadDotEnv } from '../env.ts';
import { openingDatabase } from '../startup-problem.ts';

/** `weapp-auth migrate`: applies pending migrations (serve and dev also do it at start). */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL')
    .action(async () => {
      loadDotEnv();
      const url = process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
      const database = await openingDatabase(url, () => openDatabase({ url }));
      try {
        const applied = await migrateToLatest(database);
        process.stdout.write(applied.length === 0 ? 'schema is up to date\n' : `applied: ${applied.join(', ')}\n`);
      } finally {
        await database.close();
      }
    });
}
