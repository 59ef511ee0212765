import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import { isPostgres } from './dialects.ts';
import { insertGrouped } from './grouped-inserts.ts';
import { newTimeOrderedId } from './ids.ts';
import { type BatchStatement, LOCKED, runBatched } from './pg-batches.ts';
import {
  type NewSession,
  type RevokeReason,
  type Rotation,
  type RotationResult,
  type Session,
  siblingRow,
  toSession,
} from './session-rows.ts';
import { sqliteProcedures } from './sqlite-procedures.ts';
import type { Database, SessionsTable } from './tables.ts';
import { toUser, type User } from './users.ts';

export type { NewSession, RevokeReason, Rotation, RotationResult, Session } from './session-rows.ts';

/**
 * A new family's first row before its user is known: what a login that stores it in the
 * statement finding its identity (./login.ts, PostgreSQL) needs. The row's id is the family id.
 */
export type SessionDraft = Omit<Insertable<SessionsTable>, 'user_id'> & { id: string; family_id: string };

/**
 * A new session row's id: the time first, so rows append to their indexes (./ids.ts). Taken
 * before the row is written when something must name it first (a refresh token does).
 */
export function newSessionId(now: number = Date.now()): string {
  return newTimeOrderedId('s', now);
}

export function draftSession(
  input: Omit<NewSession, 'userId'>,
  now: number = Date.now(),
  id: string = newSessionId(now),
): SessionDraft {
  return {
    id,
    family_id: id,
    appid: input.appid,
    refresh_token_hash: input.refreshTokenHash,
    expires_at: input.expiresAt,
    created_at: now,
    last_used_at: now,
    user_agent: input.userAgent ?? null,
    ip: input.ip ?? null,
  };
}

/** The session a draft became once stored for `userId`. */
export function draftedSession(draft: SessionDraft, userId: string): Session {
  return toSession({
    ...draft,
    user_id: userId,
    replaced_by: null,
    revoked_at: null,
    revoke_reason: null,
    user_agent: draft.user_agent ?? null,
    ip: draft.ip ?? null,
  });
}

/**
 * Starts a new family; the first row's id is the family id. Outside a transaction the INSERT is
 * grouped with concurrent logins' (./grouped-inserts.ts): resolved once this row is committed.
 */
export async function createSession(
  db: Kysely<Database>,
  input: NewSession,
  now: number = Date.now(),
): Promise<Session> {
  return storeSessionDraft(db, draftSession(input, now), input.userId);
}

/** Stores a draft for its user, as {@link createSession} does. */
export async function storeSessionDraft(db: Kysely<Database>, draft: SessionDraft, userId: string): Promise<Session> {
  await insertGrouped(db, 'sessions', { ...draft, user_id: userId });
  return draftedSession(draft, userId);
}

export async function findSessionByRefreshHash(
  db: Kysely<Database>,
  refreshTokenHash: string,
): Promise<Session | undefined> {
  const row = await db
    .selectFrom('sessions')
    .selectAll()
    .where('refresh_token_hash', '=', refreshTokenHash)
    .executeTakeFirst();
  return row && toSession(row);
}

/**
 * Replaces a live refresh token by a new one in the same family. The claim is one conditional
 * UPDATE (only a row not yet replaced, revoked or expired), so of two concurrent rotations of one
 * token exactly one wins; the other sees `reused`. On PostgreSQL the claim, the successor's INSERT
 * and the session's openid are one statement (one round trip, one commit); on SQLite, where a
 * statement is a function call, two statements in one transaction — run whole on the writer
 * thread when the server has one (./sqlite-procedures.ts), one trip there instead of four.
 */
export async function rotateSession(
  db: Kysely<Database>,
  rotation: Rotation,
  now: number = Date.now(),
): Promise<RotationResult> {
  const rotated = isPostgres(db)
    ? await runBatched(db, rotateMany, (r) => r.refreshTokenHash, {
        ...rotation,
        successorId: rotation.successorId ?? newSessionId(now),
        now,
      })
    : await rotateOnSqlite(db, rotation, now);
  if (rotated) return rotated;

  const session = await findSessionByRefreshHash(db, rotation.refreshTokenHash);
  if (!session) return { status: 'unknown' };
  if (session.revokedAt !== null) return { status: 'revoked', session };
  if (session.replacedBy !== null) return { status: 'reused', session };
  return { status: 'expired', session };
}

/** SQLite: the rotation as one procedure, on the thread that holds the connection (./sqlite-procedures.ts). */
function rotateOnSqlite(db: Kysely<Database>, rotation: Rotation, now: number) {
  const procedures = sqliteProcedures(db);
  if (!procedures) throw new Error('rotateSession on SQLite needs the database openDatabase opened, not a transaction');
  return procedures.call('rotateSession', rotation, now);
}

/** A rotation as {@link rotateMany} takes it: the successor's id and the time come with it. */
interface PendingRotation extends Rotation {
  successorId: string;
  now: number;
}

type Rotated = Extract<RotationResult, { status: 'rotated' }>;

/**
 * PostgreSQL: the rotation as one data-modifying CTE. The row lock (FOR UPDATE) settles concurrent
 * rotations exactly as the transaction does (the loser re-checks `replaced_by` once the winner
 * commits and matches nothing). The openid comes along, for the new access token.
 * Concurrent refreshes share the statement (./pg-batches.ts): input row n is the n-th rotation,
 * and a token not claimed answers no row; two rotations of one token never share one, so the
 * second sees the first's claim as it would one statement later.
 */
const rotateMany: BatchStatement<PendingRotation, Rotated> = async (db, rotations) => {
  const text = (pick: (r: PendingRotation) => string | undefined) => rotations.map((r) => pick(r) ?? null);
  // Alone, a rotation waits for its row's lock (a concurrent rotation or revocation decides it);
  // in a batch, a locked row is left to a statement of its own (./pg-batches.ts).
  const batch = rotations.length > 1;
  const lock = sql.raw(batch ? 'for update of sessions skip locked' : 'for update of sessions');
  const live = sql`replaced_by is null and revoked_at is null and expires_at > in_now`;
  // Not locked, yet live as the statement's snapshot saw it: another transaction holds it.
  const skipped = batch
    ? sql`(previous.n is null and exists (select from sessions as s where s.refresh_token_hash = input.in_hash
        and s.replaced_by is null and s.revoked_at is null and s.expires_at > input.in_now))`
    : sql`false`;
  const { rows } = await sql<
    Selectable<SessionsTable> & {
      input_n: number;
      skipped: boolean;
      previous: Selectable<SessionsTable> | null;
      openid: string | null;
    }
  >`
    with input as (
      select * from unnest(${text((r) => r.refreshTokenHash)}::text[], ${text((r) => r.successorId)}::text[],
        ${text((r) => r.newRefreshTokenHash)}::text[], ${rotations.map((r) => r.expiresAt)}::bigint[],
        ${rotations.map((r) => r.now)}::bigint[], ${text((r) => r.userAgent)}::text[], ${text((r) => r.ip)}::text[])
      with ordinality as input(in_hash, in_successor_id, in_new_hash, in_expires_at, in_now, in_user_agent, in_ip, n)
    ), locked as (
      select sessions.id as locked_id, n as locked_n from sessions
      join input on refresh_token_hash = in_hash
      where ${live}
      ${lock}
    ), previous as (
      update sessions set replaced_by = in_successor_id, last_used_at = in_now from input, locked
      where sessions.id = locked_id and n = locked_n and ${live}
      returning sessions.*, input.*
    ), successor as (
      insert into sessions
        (id, family_id, user_id, appid, refresh_token_hash, expires_at, created_at, last_used_at, user_agent, ip)
      select in_successor_id, family_id, user_id, appid, in_new_hash, in_expires_at, in_now, in_now,
        coalesce(in_user_agent, user_agent), coalesce(in_ip, ip)
      from previous
      returning *
    )
    select successor.*, input.n as input_n, ${skipped} as skipped, row_to_json(previous.*) as previous,
      (select openid from identities where identities.user_id = successor.user_id
        and identities.appid = successor.appid) as openid
    from input
    left join previous on previous.n = input.n
    left join successor on successor.id = previous.in_successor_id
  `.execute(db);
  const rotated: (Rotated | typeof LOCKED | undefined)[] = rotations.map(() => undefined);
  for (const { input_n, skipped, previous, openid, ...session } of rows) {
    const i = Number(input_n) - 1;
    if (skipped) rotated[i] = LOCKED;
    else if (previous) {
      rotated[i] = { status: 'rotated', session: toSession(session), previous: toSession(previous), openid };
    }
  }
  return rotated;
};

/** Revokes one row; false when it was already revoked or does not exist (the first reason stays). */
export async function revokeSession(
  db: Kysely<Database>,
  id: string,
  reason: RevokeReason,
  now: number = Date.now(),
): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now, revoke_reason: reason })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revokes every token of a family (logout, or reuse detected); returns how many were still live. */
export function revokeFamily(
  db: Kysely<Database>,
  familyId: string,
  reason: RevokeReason,
  now: number = Date.now(),
): Promise<number> {
  return revokeLive(db, 'family_id', familyId, reason, now);
}

/** Revokes every live session of a user (account deletion, an operator); how many were live. */
export function revokeUserSessions(
  db: Kysely<Database>,
  userId: string,
  reason: RevokeReason,
  now: number = Date.now(),
): Promise<number> {
  return revokeLive(db, 'user_id', userId, reason, now);
}

/** The live rows matching `column = value` revoked; an already revoked row keeps its first reason. */
async function revokeLive(
  db: Kysely<Database>,
  column: 'family_id' | 'user_id',
  value: string,
  reason: RevokeReason,
  now: number,
): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now, revoke_reason: reason })
    .where(column, '=', value)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Whether the session (family) can still be refreshed: its newest token is neither revoked nor
 * expired. Access tokens carry the family id, so this is the check behind logout-everywhere.
 */
export async function isSessionActive(
  db: Kysely<Database>,
  familyId: string,
  now: number = Date.now(),
): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('family_id', '=', familyId)
    .where('replaced_by', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The user, when the session (family) is live as {@link isSessionActive} says: the liveness check
 * and the read an authenticated route needs next, in one statement. Undefined when either fails.
 */
export async function findUserOfLiveSession(
  db: Kysely<Database>,
  familyId: string,
  userId: string,
  now: number = Date.now(),
): Promise<User | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', userId)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('sessions')
          .select('id')
          .where('family_id', '=', familyId)
          .where('replaced_by', 'is', null)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now),
      ),
    )
    .executeTakeFirst();
  return row && toUser(row);
}

/**
 * The user and until when the session (family) is live, in one statement: what an authenticated
 * request checks, in a shape a cache can keep (TokenService's live sessions). `liveUntil` is the
 * latest expiry among the family's live tokens, null when none is live (revoked, replaced or
 * expired); undefined when the user is gone.
 */
export async function findSessionUser(
  db: Kysely<Database>,
  familyId: string,
  userId: string,
  now: number = Date.now(),
): Promise<{ user: User; liveUntil: number | null } | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .select((eb) =>
      eb
        .selectFrom('sessions')
        .select((s) => s.fn.max('expires_at').as('expires_at'))
        .where('family_id', '=', familyId)
        .where('replaced_by', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .as('live_until'),
    )
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { live_until, ...user } = row;
  return { user: toUser(user), liveUntil: live_until === null ? null : Number(live_until) };
}

/**
 * Adds a sibling to a family without replacing anything: the answer to a benign double submit of
 * a refresh token (a retry after a lost response) inside the grace window. The sibling lives
 * beside the token issued first, so whichever the client kept still works.
 */
export async function forkSession(
  db: Kysely<Database>,
  from: Session,
  input: Omit<NewSession, 'userId' | 'appid'>,
  now: number = Date.now(),
  id: string = newSessionId(now),
): Promise<Session> {
  const row = siblingRow(from, input, now, id);
  await db.insertInto('sessions').values(row).execute();
  return toSession(row);
}

/**
 * Deletes refresh-token rows that expired before `before`. An expired token is refused whatever
 * its row says, so the row only costs space; a family whose last row is gone is simply over.
 */
export async function deleteExpiredSessions(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
