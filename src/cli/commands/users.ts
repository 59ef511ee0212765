import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { maskPhone } from '../../server/phone/mask.ts';
import { mediaStoreFor } from '../../server/services.ts';
import { deleteAccount } from '../../server/user-rights/account-deletion.ts';
import { clearReviewFlags, type FlaggedUser, listFlaggedUsers } from '../../store/content-review.ts';
import {
  type Database,
  exportUserData,
  openDatabase,
  recordAuditEvent,
  revokeUserSessions,
} from '../../store/index.ts';
import { lazyAnnouncer } from '../announce.ts';
import { configFromEnvironment } from '../env.ts';
import { openingDatabase } from '../startup-problem.ts';
import { formatTable } from '../table.ts';

const DAY_MS = 86_400_000;

/**
 * `weapp-auth users`: what customer service needs for a user's request — find the account, show
 * or export what is held, revoke every session, delete the account. Every change is audited as an
 * operator action.
 */
export function registerUsers(program: Command): void {
  const users = program.command('users').description('find, show, export, delete users and revoke their sessions');

  users
    .command('find <query>')
    .description('users by id (u_…), openid, unionid or phone number (with or without +86)')
    .action((query: string) =>
      withDatabase(async (db) => {
        const found = await findUsers(db, query.trim());
        process.stdout.write(found.length === 0 ? `No user matches ${query}.\n` : `${formatTable(FOUND, found)}\n`);
      }),
    );

  users
    .command('show <userId>')
    .alias('export')
    .description('everything held about a user, as JSON (what GET /v1/me/export answers the user)')
    .action((userId: string) =>
      withDatabase(async (db) => {
        const data = await exportUserData(db, userId);
        if (!data) return notFound(userId);
        await recordAuditEvent(db, { type: 'operator.exported', userId });
        process.stdout.write(`${JSON.stringify({ exportedAt: Date.now(), ...data }, null, 2)}\n`);
      }),
    );

  users
    .command('revoke <userId>')
    .description('end every session of a user at once (they log in again)')
    .action((userId: string) =>
      withDatabase(async (db, _config, announce) => {
        const ended = await revokeUserSessions(db, userId, 'admin');
        await announce(userId);
        await recordAuditEvent(db, { type: 'operator.sessions_revoked', userId, details: { sessions: ended } });
        process.stdout.write(`ended ${ended} live session${ended === 1 ? '' : 's'} of ${userId}\n`);
      }),
    );

  users
    .command('flagged')
    .description(
      "users whose nickname or avatar WeChat's content check sent to a person's review (or whose avatar it found risky)",
    )
    .action(() =>
      withDatabase(async (db) => {
        const flagged = await listFlaggedUsers(db);
        process.stdout.write(flagged.length === 0 ? 'No user is flagged.\n' : `${formatTable(FLAGGED, flagged)}\n`);
      }),
    );

  users
    .command('unflag <userId>')
    .description('a person looked: clear the review flags of the nickname and the avatar')
    .action((userId: string) =>
      withDatabase(async (db, _config, announce) => {
        const cleared = await clearReviewFlags(db, userId, Date.now());
        if (!cleared) return notFound(userId);
        // Running servers keep the user's profile in memory, flags included.
        if (cleared.length > 0) await announce(userId);
        await recordAuditEvent(db, { type: 'operator.unflagged', userId, details: { cleared } });
        process.stdout.write(
          cleared.length === 0 ? `${userId} had no flag\n` : `cleared ${cleared.join(', ')} of ${userId}\n`,
        );
      }),
    );

  users
    .command('delete <userId>')
    .description('delete a user (after DELETION_COOLING_OFF_DAYS unless --now); sessions end at once')
    .option('--now', 'purge now, without the cooling-off period')
    .action((userId: string, flags: { now?: boolean }) =>
      withDatabase(async (db, config, announce) => {
        const state = await deleteAccount(
          {
            db,
            announce,
            media: mediaStoreFor(config),
            now: Date.now,
            coolingOffMs: flags.now ? 0 : config.deletionCoolingOffDays * DAY_MS,
          },
          userId,
          { by: 'operator' },
        );
        if (!state) return notFound(userId);
        await recordAuditEvent(db, { type: 'operator.deleted', userId, details: { purged: state.purged } });
        process.stdout.write(
          state.purged
            ? `deleted ${userId}\n`
            : `${userId} will be deleted at ${new Date(state.dueAt).toISOString()} unless they log in before\n`,
        );
      }),
    );
}

async function withDatabase(
  fn: (
    db: Kysely<Database>,
    config: ReturnType<typeof configFromEnvironment>,
    announce: (userId: string) => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const config = configFromEnvironment();
  const database = await openingDatabase(config.databaseUrl, () => openDatabase({ url: config.databaseUrl }));
  // Running servers keep sessions in process: what ends here must reach them (src/revocation).
  const announcer = lazyAnnouncer(config, database);
  try {
    await fn(database.db, config, announcer.announce);
  } finally {
    await announcer.close();
    await database.close();
  }
}

function notFound(userId: string): void {
  process.stderr.write(`No user ${userId}.\n`);
  process.exitCode = 1;
}

interface Found {
  id: string;
  phone: string | null;
  createdAt: number;
  apps: string;
}

const FLAGGED: [string, (u: FlaggedUser) => string][] = [
  ['user', (u) => u.id],
  ['flags', (u) => u.flags.join(' ')],
  ['updated', (u) => new Date(u.updatedAt).toISOString()],
];

const FOUND: [string, (u: Found) => string][] = [
  ['user', (u) => u.id],
  ['phone', (u) => (u.phone ? maskPhone(u.phone) : '')],
  ['apps (appid/openid)', (u) => u.apps],
  ['created', (u) => new Date(u.createdAt).toISOString()],
];

/** One query per way in; a phone number is matched without its country code, as WeChat gives it. */
async function findUsers(db: Kysely<Database>, query: string): Promise<Found[]> {
  // WeChat's purePhoneNumber has no country code: "+86 138 0013 8000" is looked up as 13800138000.
  const phone = /^\+?\d[\d\s-]{5,}$/.test(query) ? query.replace(/[\s-]/g, '').replace(/^\+86|^\+/, '') : undefined;
  const ids = new Set<string>();
  const byUser = await db
    .selectFrom('users')
    .select('id')
    .where((eb) =>
      eb.or([
        eb('id', '=', query),
        eb('unionid', '=', query),
        ...(phone === undefined ? [] : [eb('phone_number', '=', phone)]),
      ]),
    )
    .execute();
  for (const row of byUser) ids.add(row.id);
  const byIdentity = await db
    .selectFrom('identities')
    .select('user_id')
    .where((eb) => eb.or([eb('openid', '=', query), eb('unionid', '=', query)]))
    .execute();
  for (const row of byIdentity) ids.add(row.user_id);
  if (ids.size === 0) return [];
  const users = await db
    .selectFrom('users')
    .select(['id', 'phone_number', 'created_at'])
    .where('id', 'in', [...ids])
    .execute();
  const identities = await db
    .selectFrom('identities')
    .select(['user_id', 'appid', 'openid'])
    .where('user_id', 'in', [...ids])
    .execute();
  return users.map((u) => ({
    id: u.id,
    phone: u.phone_number,
    createdAt: u.created_at,
    apps: identities
      .filter((i) => i.user_id === u.id)
      .map((i) => `${i.appid}/${i.openid}`)
      .join(' '),
  }));
}
