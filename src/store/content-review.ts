import type { Kysely, Selectable } from 'kysely';
import type { Database, UsersTable } from './tables.ts';

/** A user WeChat's content check wants a person to look at (CONTENT_CHECK=on). */
export interface FlaggedUser {
  id: string;
  /** `nickname` (msg_sec_check said review), `avatar:review`, or `avatar:risky` (removed by the push). */
  flags: string[];
  updatedAt: number;
}

const COLUMNS = ['id', 'nickname_review', 'avatar_review', 'updated_at'] as const;
type FlagRow = Pick<Selectable<UsersTable>, (typeof COLUMNS)[number]>;

function toFlagged(row: FlagRow): FlaggedUser {
  const avatar = row.avatar_review === 'review' || row.avatar_review === 'risky' ? [`avatar:${row.avatar_review}`] : [];
  return {
    id: row.id,
    flags: [...(row.nickname_review === 1 ? ['nickname'] : []), ...avatar],
    updatedAt: Number(row.updated_at),
  };
}

/** Users whose nickname or avatar awaits a person's review, or whose avatar was found risky; newest first. */
export async function listFlaggedUsers(db: Kysely<Database>, limit = 200): Promise<FlaggedUser[]> {
  const rows = await db
    .selectFrom('users')
    .select(COLUMNS)
    .where((eb) => eb.or([eb('nickname_review', '=', 1), eb('avatar_review', 'in', ['review', 'risky'])]))
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toFlagged);
}

/**
 * A person looked and found nothing wrong (or dealt with it): the review flags go. An avatar still
 * waiting for WeChat's verdict keeps its `pending`. The flags cleared, or undefined for no such user.
 */
export async function clearReviewFlags(
  db: Kysely<Database>,
  userId: string,
  now: number,
): Promise<string[] | undefined> {
  const row = await db.selectFrom('users').select(COLUMNS).where('id', '=', userId).executeTakeFirst();
  if (!row) return undefined;
  const { flags } = toFlagged(row);
  if (flags.length === 0) return flags;
  await db
    .updateTable('users')
    .set((eb) => ({
      nickname_review: 0,
      avatar_review: eb.case().when('avatar_review', '=', 'pending').then('pending').else(null).end(),
      updated_at: now,
    }))
    .where('id', '=', userId)
    .execute();
  return flags;
}
