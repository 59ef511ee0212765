import type { Kysely } from 'kysely';
import { listAuditEvents } from './audit.ts';
import { revokeUserSessions } from './sessions.ts';
import type { Database } from './tables.ts';
import { toUser } from './users.ts';

/**
 * The user's rights over their data (PIPL Art. 45 and 47): a copy of everything held about them,
 * and the deletion of their account — at once, or after a cooling-off period during which a login
 * cancels it. What survives a purge is the audit log, which names the user only by an id that no
 * longer leads anywhere.
 */

export interface DeletionState {
  requestedAt: number;
  /** When `weapp-auth cleanup` purges the account; equal to requestedAt for an immediate deletion. */
  dueAt: number;
}

/**
 * Records the request and ends every session of the user at once (every instance checks session
 * liveness in the database). Undefined when there is no such user. An earlier pending request
 * keeps its date: asking twice does not push the purge back.
 */
export async function requestDeletion(
  db: Kysely<Database>,
  userId: string,
  options: { now: number; coolingOffMs: number },
): Promise<DeletionState | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('users')
      .select(['deletion_requested_at', 'deletion_due_at'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!row) return undefined;
    let state: DeletionState;
    if (row.deletion_requested_at !== null && row.deletion_due_at !== null) {
      state = { requestedAt: row.deletion_requested_at, dueAt: row.deletion_due_at };
    } else {
      state = { requestedAt: options.now, dueAt: options.now + options.coolingOffMs };
      await trx
        .updateTable('users')
        .set({ deletion_requested_at: state.requestedAt, deletion_due_at: state.dueAt })
        .where('id', '=', userId)
        .execute();
    }
    await revokeUserSessions(trx, userId, 'deletion', options.now);
    return state;
  });
}

/** Clears a pending deletion (the user logged in again); true when one was pending. */
export async function cancelDeletion(db: Kysely<Database>, userId: string): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ deletion_requested_at: null, deletion_due_at: null })
    .where('id', '=', userId)
    .where('deletion_requested_at', 'is not', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Users whose deletion is due at `now`, oldest first. */
export async function listDueDeletions(db: Kysely<Database>, now: number, limit = 500): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('deletion_due_at', 'is not', null)
    .where('deletion_due_at', '<=', now)
    .orderBy('deletion_due_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export interface PurgedUser {
  /** The avatar the user held, for the caller to delete from storage when nobody else uses it. */
  avatarUrl: string | null;
  identities: number;
}

/**
 * Deletes the user row; identities (with their sealed session keys), sessions and unionid-conflict
 * records go with it (ON DELETE CASCADE). The same WeChat user logging in afterwards is a new user.
 */
export async function purgeUser(db: Kysely<Database>, userId: string): Promise<PurgedUser | undefined> {
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select('avatar_url').where('id', '=', userId).executeTakeFirst();
    if (!user) return undefined;
    const { count } = await trx
      .selectFrom('identities')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    // SQLite enforces the cascade only with foreign_keys on (dialects.ts sets it); be explicit anyway.
    await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
    await trx.deleteFrom('identities').where('user_id', '=', userId).execute();
    await trx.deleteFrom('unionid_conflicts').where('user_id', '=', userId).execute();
    await trx.deleteFrom('avatar_checks').where('user_id', '=', userId).execute();
    await trx.deleteFrom('users').where('id', '=', userId).execute();
    return { avatarUrl: user.avatar_url, identities: Number(count) };
  });
}

/** True when another user still shows this avatar (content-addressed files are shared). */
export async function avatarInUse(db: Kysely<Database>, avatarUrl: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('avatar_url', '=', avatarUrl).executeTakeFirst();
  return row !== undefined;
}

/** Everything held about a user, as the owner may read it (GET /v1/me/export, `users export`). */
export async function exportUserData(db: Kysely<Database>, userId: string) {
  const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!row) return undefined;
  const user = toUser(row);
  const identities = await db
    .selectFrom('identities')
    .select(['appid', 'openid', 'unionid', 'created_at', 'last_login_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  const sessions = await db
    .selectFrom('sessions')
    .select(['appid', 'created_at', 'last_used_at', 'expires_at', 'revoked_at', 'revoke_reason', 'user_agent', 'ip'])
    .where('user_id', '=', userId)
    .where('replaced_by', 'is', null)
    .orderBy('created_at')
    .execute();
  const avatarChecks = await db
    .selectFrom('avatar_checks')
    .select(['appid', 'trace_id', 'avatar_url', 'submitted_at', 'verdict', 'label', 'decided_at'])
    .where('user_id', '=', userId)
    .orderBy('submitted_at')
    .execute();
  const events = await listAuditEvents(db, { userId, limit: 1000 });
  return {
    user: {
      ...user,
      deletionRequestedAt: row.deletion_requested_at,
      deletionDueAt: row.deletion_due_at,
    },
    // Session keys are WeChat's secret for this server, not the user's data; they stay sealed.
    identities: identities.map((i) => ({
      appid: i.appid,
      openid: i.openid,
      unionid: i.unionid,
      createdAt: i.created_at,
      lastLoginAt: i.last_login_at,
    })),
    sessions: sessions.map((s) => ({
      appid: s.appid,
      createdAt: s.created_at,
      lastUsedAt: s.last_used_at,
      expiresAt: s.expires_at,
      endedAt: s.revoked_at,
      endedBecause: s.revoke_reason,
      userAgent: s.user_agent,
      ip: s.ip,
    })),
    avatarChecks: avatarChecks.map((c) => ({
      appid: c.appid,
      traceId: c.trace_id,
      avatarUrl: c.avatar_url,
      submittedAt: Number(c.submitted_at),
      verdict: c.verdict,
      label: c.label,
      decidedAt: c.decided_at === null ? null : Number(c.decided_at),
    })),
    securityEvents: events.map((e) => ({ at: e.at, type: e.type, appid: e.appid, ip: e.ip, details: e.details })),
  };
}

export type UserExport = NonNullable<Awaited<ReturnType<typeof exportUserData>>>;

/** WeChat cleaned or the user withdrew the profile: nickname and avatar go; the old avatar URL is returned. */
export async function clearProfile(
  db: Kysely<Database>,
  userId: string,
  now: number,
): Promise<string | null | undefined> {
  const row = await db.selectFrom('users').select('avatar_url').where('id', '=', userId).executeTakeFirst();
  if (!row) return undefined;
  await db
    .updateTable('users')
    .set({ nickname: null, avatar_url: null, nickname_review: 0, avatar_review: null, updated_at: now })
    .where('id', '=', userId)
    .execute();
  return row.avatar_url;
}

/** The user withdrew the phone-number authorization: the number goes. True when one was held. */
export async function clearPhone(db: Kysely<Database>, userId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ phone_number: null, phone_country_code: null, phone_verified_at: null, updated_at: now })
    .where('id', '=', userId)
    .where('phone_number', 'is not', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Removes one WeChat identity (the user cancelled their WeChat account, or this app's
 * authorization) with its sessions; how many identities the user still has.
 */
export async function removeIdentity(db: Kysely<Database>, identityId: string): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    const identity = await trx
      .selectFrom('identities')
      .select(['user_id', 'appid'])
      .where('id', '=', identityId)
      .executeTakeFirst();
    if (!identity) return undefined;
    await trx
      .deleteFrom('sessions')
      .where('user_id', '=', identity.user_id)
      .where('appid', '=', identity.appid)
      .execute();
    await trx.deleteFrom('identities').where('id', '=', identityId).execute();
    const { count } = await trx
      .selectFrom('identities')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', identity.user_id)
      .executeTakeFirstOrThrow();
    return Number(count);
  });
}
