import type { Command } from 'commander';
import { mediaStoreFor } from '../../server/services.ts';
import { purgeDueAccounts } from '../../server/user-rights/account-deletion.ts';
import {
  deleteAuditEventsBefore,
  deleteExpiredSessions,
  deleteExpiredSigningKeys,
  openDatabase,
} from '../../store/index.ts';
import { configFromEnvironment } from '../env.ts';
import { openingDatabase } from '../startup-problem.ts';

/** Expired rows stay a day, so a log line about a token that just expired can still be traced. */
const KEEP_EXPIRED_MS = 86_400_000;
const DAY_MS = 86_400_000;

/**
 * `weapp-auth cleanup`: deletes what can never be used again — refresh tokens past their expiry
 * and retired signing keys past their publication — purges the accounts whose deletion's
 * cooling-off period is over, and audit events past AUDIT_RETENTION_DAYS. Run it daily from cron
 * on one instance.
 */
export function registerCleanup(program: Command): void {
  program
    .command('cleanup')
    .description(
      'delete expired refresh tokens, retired signing keys, accounts due for deletion and old audit events (run daily)',
    )
    .action(async () => {
      const config = configFromEnvironment();
      const database = await openingDatabase(config.databaseUrl, () => openDatabase({ url: config.databaseUrl }));
      try {
        const now = Date.now();
        const sessions = await deleteExpiredSessions(database.db, now - KEEP_EXPIRED_MS);
        const keys = await deleteExpiredSigningKeys(database.db, now);
        const accounts = await purgeDueAccounts({ db: database.db, media: mediaStoreFor(config), now: Date.now });
        const events = await deleteAuditEventsBefore(database.db, now - config.auditRetentionDays * DAY_MS);
        process.stdout.write(
          `deleted ${sessions} expired refresh tokens, ${keys} retired signing keys, ` +
            `${accounts} accounts due for deletion and ${events} audit events older than ${config.auditRetentionDays} days\n`,
        );
      } finally {
        await database.close();
      }
    });
}
