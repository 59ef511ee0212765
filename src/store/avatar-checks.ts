import type { Kysely } from 'kysely';
import type { Database } from './tables.ts';

/** What WeChat answered about an avatar; `error` when it could not check it (e.g. -1008, not downloadable). */
export type AvatarVerdict = 'pass' | 'review' | 'risky' | 'error';

export interface AvatarCheck {
  traceId: string;
  appid: string;
  userId: string;
  avatarUrl: string;
  submittedAt: number;
  verdict: AvatarVerdict | null;
  decidedAt: number | null;
}

/** Keeps a media_check_async submission, so its push can be matched (wechat-api.md §7.3). */
export async function recordAvatarCheck(
  db: Kysely<Database>,
  check: Pick<AvatarCheck, 'traceId' | 'appid' | 'userId' | 'avatarUrl'>,
  now: number,
): Promise<void> {
  await db
    .insertInto('avatar_checks')
    .values({
      trace_id: check.traceId,
      appid: check.appid,
      user_id: check.userId,
      avatar_url: check.avatarUrl,
      submitted_at: now,
    })
    .execute();
}

export async function findAvatarCheck(
  db: Kysely<Database>,
  appid: string,
  traceId: string,
): Promise<AvatarCheck | undefined> {
  const row = await db
    .selectFrom('avatar_checks')
    .selectAll()
    .where('trace_id', '=', traceId)
    .where('appid', '=', appid)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    traceId: row.trace_id,
    appid: row.appid,
    userId: row.user_id,
    avatarUrl: row.avatar_url,
    submittedAt: Number(row.submitted_at),
    verdict: row.verdict as AvatarVerdict | null,
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
  };
}

/**
 * Records the verdict once: false when the check was already decided (a repeated push, or two
 * instances receiving one push at once), so what it triggers runs once.
 */
export async function decideAvatarCheck(
  db: Kysely<Database>,
  traceId: string,
  verdict: AvatarVerdict,
  label: number | null,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('avatar_checks')
    .set({ verdict, label, decided_at: now })
    .where('trace_id', '=', traceId)
    .where('verdict', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Applies a verdict to the user while `avatarUrl` is still their avatar (they may have chosen
 * another since): `risky` also takes the avatar away. True when the user was changed.
 */
export async function applyAvatarVerdict(
  db: Kysely<Database>,
  userId: string,
  avatarUrl: string,
  review: 'review' | 'risky' | null,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ avatar_review: review, updated_at: now, ...(review === 'risky' && { avatar_url: null }) })
    .where('id', '=', userId)
    .where('avatar_url', '=', avatarUrl)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
