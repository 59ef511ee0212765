import type { Command } from 'commander';
import { type AuditEvent, listAuditEvents, openDatabase } from '../../store/index.ts';
import { configFromEnvironment } from '../env.ts';
import { openingDatabase } from '../startup-problem.ts';
import { formatTable } from '../table.ts';

/**
 * `weapp-auth audit`: the security events (logins, logouts, refresh-token reuse, deletions, WeChat
 * pushes, operator actions), newest first, filtered. Events past AUDIT_RETENTION_DAYS are deleted
 * by `weapp-auth cleanup`.
 */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('list security events, newest first (DATABASE_URL)')
    .option('--user <id>', 'only this user (u_…)')
    .option('--app <appid>', 'only this mini program')
    .option('--type <type>', 'only this type, or a prefix ending in "." (deletion., push.)')
    .option('--since <date>', 'from this date or time (ISO 8601, e.g. 2026-12-01)')
    .option('--limit <n>', 'at most this many (default 100)', '100')
    .option('--json', 'JSON lines instead of a table')
    .action(
      async (flags: { user?: string; app?: string; type?: string; since?: string; limit: string; json?: boolean }) => {
        const since = flags.since === undefined ? undefined : Date.parse(flags.since);
        const limit = Number(flags.limit);
        if (Number.isNaN(since) || !Number.isInteger(limit) || limit < 1) {
          process.stderr.write(
            '--since must be a date (2026-12-01 or 2026-12-01T08:00:00Z), --limit a whole number > 0\n',
          );
          process.exit(2);
        }
        const config = configFromEnvironment();
        const database = await openingDatabase(config.databaseUrl, () => openDatabase({ url: config.databaseUrl }));
        try {
          const events = await listAuditEvents(database.db, {
            userId: flags.user,
            appid: flags.app,
            type: flags.type,
            since,
            limit,
          });
          process.stdout.write(
            flags.json ? events.map((e) => `${JSON.stringify(e)}\n`).join('') : `${table(events)}\n`,
          );
        } finally {
          await database.close();
        }
      },
    );
}

const COLUMNS: [string, (e: AuditEvent) => string][] = [
  ['at', (e) => new Date(e.at).toISOString()],
  ['type', (e) => e.type],
  ['user', (e) => e.userId ?? ''],
  ['appid', (e) => e.appid ?? ''],
  ['ip', (e) => e.ip ?? ''],
  ['rid', (e) => e.rid ?? ''],
  ['details', (e) => (e.details ? JSON.stringify(e.details) : '')],
];

function table(events: AuditEvent[]): string {
  return events.length === 0 ? 'No audit events match.' : formatTable(COLUMNS, events);
}
