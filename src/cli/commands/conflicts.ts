import type { Command } from 'commander';
import { DEFAULT_DATABASE_URL, listUnionIdConflicts, openDatabase, type UnionIdConflict } from '../../store/index.ts';
import { loadDotEnv } from '../env.ts';
import { openingDatabase } from '../startup-problem.ts';
import { formatTable } from '../table.ts';

/**
 * `weapp-auth conflicts`: the logins refused because WeChat's unionid for an identity belongs to
 * another user. Merging accounts is a business decision, so the server never does it; this list
 * is where an operator starts (docs/user-details.md explains how to resolve one).
 */
export function registerConflicts(program: Command): void {
  program
    .command('conflicts')
    .description('list unionid conflicts: logins refused because the unionid belongs to another user (DATABASE_URL)')
    .option('--json', 'one JSON array instead of a table')
    .action(async (flags: { json?: boolean }) => {
      loadDotEnv();
      const url = process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
      const database = await openingDatabase(url, () => openDatabase({ url }));
      try {
        const conflicts = await listUnionIdConflicts(database.db);
        process.stdout.write(flags.json ? `${JSON.stringify(conflicts, null, 2)}\n` : table(conflicts));
      } finally {
        await database.close();
      }
    });
}

const COLUMNS: [string, (c: UnionIdConflict) => string][] = [
  ['last seen', (c) => new Date(c.lastSeenAt).toISOString()],
  ['first seen', (c) => new Date(c.createdAt).toISOString()],
  ['appid', (c) => c.appid],
  ['openid', (c) => c.openid],
  ['unionid', (c) => c.unionid],
  ['user of the identity', (c) => c.userId],
  ['user holding the unionid', (c) => c.otherUserId ?? '(none: the user holds another unionid)'],
];

function table(conflicts: UnionIdConflict[]): string {
  if (conflicts.length === 0) return 'No unionid conflicts.\n';
  return (
    `${conflicts.length} unionid conflict${conflicts.length === 1 ? '' : 's'}, most recently seen first. ` +
    'Their logins are refused (409 UNIONID_CONFLICT); nothing was merged.\n\n' +
    `${formatTable(COLUMNS, conflicts)}\n\nHow to resolve one: docs/user-details.md, "Unionid conflicts".\n`
  );
}
