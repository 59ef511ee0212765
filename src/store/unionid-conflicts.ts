import type { Kysely } from 'kysely';
import { newId } from './ids.ts';
import type { Database } from './tables.ts';

/** A login refused because its unionid could not be given to the identity's user. */
export interface UnionIdConflict {
  id: string;
  appid: string;
  openid: string;
  unionid: string;
  /** The user the identity belongs to. */
  userId: string;
  /** The user already holding the unionid, when one does (null if it has since been deleted). */
  otherUserId: string | null;
  createdAt: number;
  lastSeenAt: number;
}

export type UnionIdConflictCase = Pick<UnionIdConflict, 'appid' | 'openid' | 'unionid' | 'userId' | 'otherUserId'>;

/** One row per (appid, openid, unionid): a user retrying a refused login updates it, not floods the table. */
export async function recordUnionIdConflict(
  db: Kysely<Database>,
  conflict: UnionIdConflictCase,
  now: number = Date.now(),
): Promise<void> {
  await db
    .insertInto('unionid_conflicts')
    .values({
      id: newId('c'),
      appid: conflict.appid,
      openid: conflict.openid,
      unionid: conflict.unionid,
      user_id: conflict.userId,
      other_user_id: conflict.otherUserId,
      created_at: now,
      last_seen_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['appid', 'openid', 'unionid']).doUpdateSet((eb) => ({
        user_id: eb.ref('excluded.user_id'),
        other_user_id: eb.ref('excluded.other_user_id'),
        last_seen_at: eb.ref('excluded.last_seen_at'),
      })),
    )
    .execute();
}

/** Every recorded conflict, most recently seen first, for an operator to resolve. */
export async function listUnionIdConflicts(db: Kysely<Database>): Promise<UnionIdConflict[]> {
  const rows = await db
    .selectFrom('unionid_conflicts')
    .selectAll()
    .orderBy('last_seen_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    appid: row.appid,
    openid: row.openid,
    unionid: row.unionid,
    userId: row.user_id,
    otherUserId: row.other_user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  }));
}
