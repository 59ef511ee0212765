import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { migrateToLatest, openDatabase } from '../../store/index.ts';

/** `weapp-auth migrate`: applies pending migrations (serve and dev also do it at start). */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL')
    .action(async () => {
      if (existsSync('.env')) process.loadEnvFile('.env');
      const database = await openDatabase({ url: process.env.DATABASE_URL || undefined });
      try {
        const applied = await migrateToLatest(database);
        process.stdout.write(applied.length === 0 ? 'schema is up to date\n' : `applied: ${applied.join(', ')}\n`);
      } finally {
        await database.close();
      }
    });
}
