import type { Command } from 'commander';
import { deleteExpiredSessions, deleteExpiredSigningKeys, openDatabase } from '../../store/index.ts';
import { configFromEnvironment } from '../env.ts';
import { openingDatabase } from '../startup-problem.ts';

/** Expired rows stay a day, so a log line about a token that just expired can still be traced. */
const KEEP_EXPIRED_MS = 86_400_000;

/**
 * `weapp-auth cleanup`: deletes what can never be used again — refresh tokens past their expiry
 * and retired signing keys past their publication. Run it daily from cron on one instance.
 */
export function registerCleanup(program: Command): void {
  program
    .command('cleanup')
    .description('delete expired refresh tokens and retired signing keys no longer published (run daily)')
    .action(async () => {
      const config = configFromEnvironment();
      const database = await openingDatabase(config.databaseUrl, () => openDatabase({ url: config.databaseUrl }));
      try {
        const now = Date.now();
        const sessions = await deleteExpiredSessions(database.db, now - KEEP_EXPIRED_MS);
        const keys = await deleteExpiredSigningKeys(database.db, now);
        process.stdout.write(`deleted ${sessions} expired refresh tokens and ${keys} retired signing keys\n`);
      } finally {
        await database.close();
      }
    });
}
