import { CompiledQuery, type Kysely, type RawBuilder, type Selectable, sql, type Transaction } from 'kysely';
import { auditRow, type NewAuditEvent } from './audit.ts';
import { isPostgres, isUniqueViolation } from './dialects.ts';
import { isStoreError, UnionIdConflictError } from './errors.ts';
import { type Identity, toIdentity } from './identities.ts';
import { IDENTITY_RETURNING, SQLITE_TOUCH, touchedRow } from './identity-rows.ts';
import { newId } from './ids.ts';
import { type BatchStatement, LOCKED, runBatched } from './pg-batches.ts';
import type { SessionDraft } from './sessions.ts';
import { type ProcedureCalls, sqliteProcedures } from './sqlite-procedures.ts';
import type { Store } from './store.ts';
import type { Database, IdentitiesTable, UsersTable } from './tables.ts';
import { recordUnionIdConflict } from './unionid-conflicts.ts';
import { findUserById, toUser, type User } from './users.ts';

/** What code2session answered, for one mini program. */
export interface LoginInput {
  appid: string;
  openid: string;
  /** Present when the app is bound to an open-platform account (and the user qualifies). */
  unionid?: string | undefined;
  sessionKey: string;
}

export interface LoginResult {
  user: User;
  identity: Identity;
  /** True only for the login that created the user (not for a new app of a known unionid). */
  isNewUser: boolean;
  /** True when the {@link LoginWrites} given were stored with the identity; otherwise they are the caller's to store. */
  written?: boolean;
}

/**
 * What a login stores after its identity, offered to be stored with it: the new session and the
 * login's audit event, both for the identity's user. PostgreSQL takes them into the returning
 * login's statement when nothing else is left to do (the session key, the unionid and the account
 * as they were), so such a login is one round trip and one commit instead of three statements.
 * SQLite, where a statement is a function call and not a round trip, leaves them to the caller.
 */
export interface LoginWrites {
  session: SessionDraft;
  audit: Omit<NewAuditEvent, 'userId'>;
}

/** Thrown inside a transaction to roll it back when a concurrent login created the identity first. */
class LostRaceError extends Error {}

/**
 * Finds or creates the identity for (appid, openid) and its user, stores the session key sealed
 * (keeping the one before it), and links the user by unionid: a new identity joins the user who
 * already holds its unionid, and an identity first seen without one is upgraded when it comes.
 *
 * Concurrent first logins of one person are settled by the unique constraints, not by locks in
 * this process: every contender inserts with ON CONFLICT DO NOTHING, the losers roll back and read
 * what the winner wrote. Throws {@link UnionIdConflictError} (after recording it) when the unionid
 * belongs to another user: accounts are never merged silently.
 */
export async function upsertIdentityOnLogin(
  store: Pick<Store, 'db' | 'box'>,
  input: LoginInput,
  now: number = Date.now(),
  writes?: LoginWrites,
): Promise<LoginResult> {
  // WeChat omits unionid, but a hand-written caller may pass "": both mean "none".
  const unionid = input.unionid || undefined;
  const fingerprints = store.box.fingerprints('session-key', input.sessionKey);
  const fold = writes !== undefined && isPostgres(store.db) ? writes : undefined;
  // SQLite: the returning login and its writes, one procedure on the thread that holds the connection.
  const procedures = writes !== undefined && !fold ? sqliteProcedures(store.db) : undefined;
  const offer = (offered: LoginWrites): OfferingLogin => ({
    input: { ...input, unionid },
    fingerprints,
    writes: offered,
    now,
  });
  // Two rounds suffice: a lost race means the identity exists for the second look, and an identity
  // gone between a returning login's statements is a sign-up at the second.
  for (let round = 0; round < 2; round++) {
    const existing = fold
      ? await runBatched(store.db, touchIdentitiesAndWrite, identityKey, offer(fold))
      : procedures && writes
        ? await procedures.call('touchIdentityAndWrite', offer(writes))
        : await touchIdentity(store.db, input.appid, input.openid, now);
    if (existing && 'written' in existing && existing.written) {
      return { user: existing.user, identity: toIdentity(existing.identity), isNewUser: false, written: true };
    }
    if (existing) {
      const returning = await returningLogin(store, existing, input.sessionKey, fingerprints, unionid, now, fold);
      if (returning) return returning;
      // Deleted between this login's two statements (the account was purged): the next look signs up anew.
      continue;
    }
    const created =
      fold && unionid === undefined
        ? await firstLoginAndWrite(store, input, fingerprints[0] ?? null, fold, now)
        : procedures && writes && unionid === undefined
          ? await signUpAndWrite(store, procedures, offer(writes), fingerprints[0] ?? null)
          : await firstLogin(store, input, fingerprints[0] ?? null, unionid, now);
    if (created) return created;
  }
  throw new Error(`identity ${input.appid}/${input.openid} neither found nor created`);
}

/** What a PostgreSQL returning login's statement answers beside the identity (SQLite's: ./identity-rows.ts). */
const TOUCH_RETURNING_POSTGRES = sql.raw(`${IDENTITY_RETURNING}, users.*`);

/**
 * Stamps the identity's last login and answers it with its user, or undefined when (appid,
 * openid) is new: the whole of a returning login's database work when the session key is the one
 * we hold, which the fingerprint that comes back tells.
 */
async function touchIdentity(
  db: Kysely<Database>,
  appid: string,
  openid: string,
  now: number,
): Promise<{ identity: Selectable<IdentitiesTable>; user: User } | undefined> {
  const postgres = isPostgres(db);
  const { rows } = postgres
    ? await sql<Record<string, unknown>>`
        update identities set last_login_at = ${now} from users
        where identities.appid = ${appid} and identities.openid = ${openid} and users.id = identities.user_id
        returning ${TOUCH_RETURNING_POSTGRES}`.execute(db)
    : await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(SQLITE_TOUCH, [now, appid, openid]));
  const row = rows[0];
  return row && touchedRow(row, postgres);
}

/**
 * The sessions and audit events logins offered, as members of a data-modifying WITH: the i-th
 * offer's rows are row n = i + 1 of `offered` (unnest … with ordinality), and each goes in for the
 * row of `source` (a CTE or subquery with columns `n` and `user_id`) with the same n, none when
 * there is none. Used by the PostgreSQL statements that store them with the identity; `session`
 * is the last member's name. Arrays, not a VALUES list, so the text (one prepared statement) is
 * the same for any number of logins.
 */
function writtenFor(offers: readonly { writes: LoginWrites; now: number }[], source: RawBuilder<unknown>) {
  const audits = offers.map(({ writes, now }) => auditRow(writes.audit, now));
  const sessions = offers.map(({ writes }) => writes.session);
  const text = <T>(rows: T[], pick: (row: T) => string | null | undefined) => rows.map((row) => pick(row) ?? null);
  const bigint = <T>(rows: T[], pick: (row: T) => number) => rows.map(pick);
  return sql`offered as (
      select * from unnest(
        ${text(audits, (a) => a.id)}::text[], ${bigint(audits, (a) => a.at)}::bigint[],
        ${text(audits, (a) => a.type)}::text[], ${text(audits, (a) => a.appid)}::text[],
        ${text(audits, (a) => a.ip)}::text[], ${text(audits, (a) => a.rid)}::text[],
        ${text(audits, (a) => a.details)}::text[],
        ${text(sessions, (s) => s.id)}::text[], ${text(sessions, (s) => s.family_id)}::text[],
        ${text(sessions, (s) => s.appid)}::text[], ${text(sessions, (s) => s.refresh_token_hash)}::text[],
        ${bigint(sessions, (s) => s.expires_at)}::bigint[], ${bigint(sessions, (s) => s.created_at)}::bigint[],
        ${bigint(sessions, (s) => s.last_used_at)}::bigint[], ${text(sessions, (s) => s.user_agent)}::text[],
        ${text(sessions, (s) => s.ip)}::text[]
      ) with ordinality as offered(a_id, a_at, a_type, a_appid, a_ip, a_rid, a_details,
        s_id, s_family_id, s_appid, s_refresh_token_hash, s_expires_at, s_created_at, s_last_used_at, s_user_agent, s_ip, n)
    ), audit as (
      insert into audit_events (id, at, type, appid, user_id, ip, rid, details)
      select a_id, a_at, a_type, a_appid, user_id, a_ip, a_rid, a_details
      from ${source} as source join offered using (n)
      returning 1
    ), session as (
      insert into sessions
        (id, family_id, user_id, appid, refresh_token_hash, expires_at, created_at, last_used_at, user_agent, ip)
      select s_id, s_family_id, user_id, s_appid, s_refresh_token_hash, s_expires_at, s_created_at, s_last_used_at,
        s_user_agent, s_ip
      from ${source} as source join offered using (n)
      returning 1
    )`;
}

/** A single-row CTE (`identity`, `rotated`) as the one source {@link writtenFor} joins its offer to. */
const only = (cte: string) => sql.raw(`(select 1::bigint as n, user_id from ${cte})`);

/** A returning login that offered its writes, as {@link touchIdentitiesAndWrite} takes it. */
export interface OfferingLogin {
  input: LoginInput;
  fingerprints: readonly string[];
  writes: LoginWrites;
  now: number;
}

/** A first login without a unionid, for SQLite's signUpAndWrite: the ids and sealed key made beforehand. */
export interface SigningUp {
  login: OfferingLogin;
  userId: string;
  identityId: string;
  sealedSessionKey: string;
  fingerprint: string | null;
}

export interface TouchedIdentity {
  identity: Selectable<IdentitiesTable>;
  user: User;
  written: boolean;
}

/**
 * PostgreSQL: {@link touchIdentity} and, when the login needs nothing more of the identity — the
 * fingerprint says WeChat sent the key we hold, the unionid is the one it has (or none came), no
 * deletion is pending (the login must cancel it first) —, the session and the audit event, in
 * one data-modifying statement: one round trip, one commit. `written` says whether they went in.
 * Concurrent logins share the statement (./pg-batches.ts): input row n is the n-th login, and an
 * identity not found answers no row (a sign-up, for the caller). Fingerprints are base64url, so a
 * login's list travels as one comma-separated text.
 */
const touchIdentitiesAndWrite: BatchStatement<OfferingLogin, TouchedIdentity> = async (db, logins) => {
  // Alone, the login waits for its identity's lock; in a batch, a locked identity is left to a
  // statement of its own (./pg-batches.ts) instead of stalling every login of the batch.
  const batch = logins.length > 1;
  const lock = sql.raw(batch ? 'for update of identities skip locked' : 'for update of identities');
  // Not locked, yet there (as the statement's snapshot saw it): another transaction holds it.
  const skipped = batch
    ? sql`(touched.n is null and exists (select from identities where appid = in_appid and openid = in_openid))`
    : sql`false`;
  const { rows } = await sql<Record<string, unknown>>`
    with input as (
      select * from unnest(${logins.map((l) => l.input.appid)}::text[], ${logins.map((l) => l.input.openid)}::text[],
        ${logins.map((l) => l.fingerprints.join(','))}::text[], ${logins.map((l) => l.input.unionid ?? null)}::text[],
        ${logins.map((l) => l.now)}::bigint[])
      with ordinality as input(in_appid, in_openid, in_fingerprints, in_unionid, in_now, n)
    ), locked as (
      select identities.id as locked_id, n as locked_n from identities
      join input on identities.appid = in_appid and identities.openid = in_openid
      ${lock}
    ), touched as (
      update identities set last_login_at = in_now from users, input, locked
      where identities.id = locked_id and n = locked_n and users.id = identities.user_id
      returning n, in_fingerprints, in_unionid, ${TOUCH_RETURNING_POSTGRES}
    ), fast as (
      select n, i_user_id as user_id from touched
      where i_session_key_fingerprint = any(string_to_array(in_fingerprints, ','))
        and (in_unionid is null or i_unionid = in_unionid)
        and deletion_due_at is null
    ), ${writtenFor(logins, sql.raw('fast'))}
    select touched.*, input.n as input_n, touched.n in (select n from fast) as written, ${skipped} as skipped
    from input left join touched on touched.n = input.n`.execute(db);
  const touched: (TouchedIdentity | undefined | typeof LOCKED)[] = logins.map(() => undefined);
  for (const row of rows) {
    const i = Number(row.input_n) - 1;
    if (row.skipped === true) touched[i] = LOCKED;
    if (row.n === null) continue;
    touched[i] = { ...touchedRow(row, true), written: row.written === true };
  }
  return touched;
};

/** Two logins of one identity never share a statement: the second sees what the first stored. */
const identityKey = (login: OfferingLogin) => `${login.input.appid}\n${login.input.openid}`;

async function firstLogin(
  store: Pick<Store, 'db' | 'box'>,
  input: LoginInput,
  fingerprint: string | null,
  unionid: string | undefined,
  now: number,
): Promise<LoginResult | undefined> {
  const identityId = newId('i');
  const sealed = store.box.seal('session-key', identityId, input.sessionKey);
  try {
    return await store.db.transaction().execute(async (trx) => {
      const { user, isNewUser } = await claimUser(trx, unionid, now);
      const identity = await trx
        .insertInto('identities')
        .values({
          id: identityId,
          user_id: user.id,
          appid: input.appid,
          openid: input.openid,
          unionid: unionid ?? null,
          session_key_current: sealed,
          session_key_fingerprint: fingerprint,
          session_key_updated_at: now,
          created_at: now,
          last_login_at: now,
        })
        .onConflict((oc) => oc.columns(['appid', 'openid']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!identity) throw new LostRaceError();
      return { user, identity: toIdentity(identity), isNewUser };
    });
  } catch (err) {
    if (err instanceof LostRaceError) return undefined;
    throw err;
  }
}

/** SQLite, a first login without a unionid: {@link firstLoginAndWrite}'s counterpart, a procedure. */
async function signUpAndWrite(
  store: Pick<Store, 'box'>,
  procedures: ProcedureCalls,
  login: OfferingLogin,
  fingerprint: string | null,
): Promise<LoginResult | undefined> {
  const identityId = newId('i');
  const signedUp = await procedures.call('signUpAndWrite', {
    login,
    userId: newId('u'),
    identityId,
    sealedSessionKey: store.box.seal('session-key', identityId, login.input.sessionKey),
    fingerprint,
  });
  if (!signedUp) return undefined;
  return { user: signedUp.user, identity: toIdentity(signedUp.identity), isNewUser: true, written: true };
}

/**
 * PostgreSQL, a first login without a unionid (no account to join): the user, the identity, the
 * session and the audit event in one data-modifying statement — one round trip and one commit
 * instead of a transaction of four and two more writes. The foreign keys are checked at the end of
 * the statement, so the rows may refer to each other. A concurrent first login of the same person
 * that committed first makes this statement fail on the identity's unique key, which undoes all of
 * it (no user without an identity is left behind); undefined then, and the caller's next look
 * finds the winner's identity, as {@link firstLogin}'s losers do.
 */
async function firstLoginAndWrite(
  store: Pick<Store, 'db' | 'box'>,
  input: LoginInput,
  fingerprint: string | null,
  writes: LoginWrites,
  now: number,
): Promise<LoginResult | undefined> {
  const userId = newId('u');
  const identityId = newId('i');
  const sealed = store.box.seal('session-key', identityId, input.sessionKey);
  try {
    const { rows } = await sql<{ user: Selectable<UsersTable>; identity: Selectable<IdentitiesTable> }>`
      with new_user as (
        insert into users (id, unionid, created_at, updated_at)
        values (${userId}, null, ${now}::bigint, ${now}::bigint)
        returning *
      ), identity as (
        insert into identities (id, user_id, appid, openid, unionid, session_key_current, session_key_fingerprint,
          session_key_updated_at, created_at, last_login_at)
        values (${identityId}, ${userId}, ${input.appid}, ${input.openid}, null, ${sealed}, ${fingerprint}::text,
          ${now}::bigint, ${now}::bigint, ${now}::bigint)
        returning *
      ), ${writtenFor([{ writes: { ...writes, audit: { ...writes.audit, details: { ...writes.audit.details, newUser: true } } }, now }], only('identity'))}
      select row_to_json(new_user.*) as user, row_to_json(identity.*) as identity from new_user, identity
    `.execute(store.db);
    const row = rows[0];
    if (!row) throw new Error('the first login statement answered no row');
    return { user: toUser(row.user), identity: toIdentity(row.identity), isNewUser: true, written: true };
  } catch (err) {
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

/** The user for a new identity: the holder of its unionid, or a new user. */
async function claimUser(
  trx: Transaction<Database>,
  unionid: string | undefined,
  now: number,
): Promise<{ user: User; isNewUser: boolean }> {
  const inserted = await trx
    .insertInto('users')
    .values({ id: newId('u'), unionid: unionid ?? null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('unionid').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { user: toUser(inserted), isNewUser: true };
  // The unionid is taken, by a committed row (PostgreSQL waited for its transaction to end).
  const holder = await trx
    .selectFrom('users')
    .selectAll()
    .where('unionid', '=', unionid ?? null)
    .executeTakeFirstOrThrow();
  return { user: toUser(holder), isNewUser: false };
}

/**
 * A known identity logs in again, after {@link touchIdentity} stamped it. When the fingerprint
 * says WeChat sent the key we hold — the common case — that statement was all. Otherwise
 * {@link storeSessionKey} stores the new key; on PostgreSQL with the login's session and audit
 * event in the same statement (`fold`) when nothing is left to do after it.
 */
async function returningLogin(
  store: Pick<Store, 'db' | 'box'>,
  found: { identity: Selectable<IdentitiesTable>; user: User },
  sessionKey: string,
  fingerprints: readonly string[],
  unionid: string | undefined,
  now: number,
  fold?: LoginWrites,
): Promise<LoginResult | undefined> {
  const seen = found.identity;
  if (seen.session_key_fingerprint !== null && fingerprints.includes(seen.session_key_fingerprint)) {
    return withUnionId(store, seen, found.user, unionid, now);
  }
  // As in touchIdentitiesAndWrite: a unionid to link or a deletion to cancel comes before the writes.
  const last = (unionid === undefined || seen.unionid === unionid) && found.user.deletionDueAt === null;
  const stored = await storeSessionKey(store, seen, sessionKey, fingerprints, now, last ? fold : undefined);
  if (!stored) return undefined;
  if (stored.written) return { user: found.user, identity: toIdentity(stored.row), isNewUser: false, written: true };
  return withUnionId(store, stored.row, found.user, unionid, now);
}

/** The login's result, once the identity (and its user, when it has none) holds the unionid WeChat reported. */
async function withUnionId(
  store: Pick<Store, 'db'>,
  row: Selectable<IdentitiesTable>,
  user: User,
  unionid: string | undefined,
  now: number,
): Promise<LoginResult> {
  if (unionid === undefined || row.unionid === unionid) return { user, identity: toIdentity(row), isNewUser: false };
  const linked = await linkUnionId(store.db, row, unionid, now);
  return {
    user: (await findUserById(store.db, linked.user_id)) ?? user,
    identity: toIdentity(linked),
    isNewUser: false,
  };
}

/**
 * The fingerprint differs from the new key's, or is missing (a row from before migration 0006, or
 * one fingerprinted under a secret key since replaced). The stored key is opened to tell why: the
 * same key only gets its fingerprint; a new one becomes current and the current one previous.
 * The decision is taken again in SQL, on the row as it is under the statement's lock, so two
 * logins of one identity rotate its key one after the other, never both from the same "current",
 * and a login that finds its key already stored by a concurrent one rotates nothing. Written as
 * SQL text (building the CASEs with Kysely cost more than the statement); on PostgreSQL, `writes`
 * go into the same statement, and `written` says so. Undefined when the identity is gone.
 */
async function storeSessionKey(
  store: Pick<Store, 'db' | 'box'>,
  seen: Selectable<IdentitiesTable>,
  sessionKey: string,
  fingerprints: readonly string[],
  now: number,
  writes?: LoginWrites,
): Promise<{ row: Selectable<IdentitiesTable>; written: boolean } | undefined> {
  const current = openOrUndefined(store, seen);
  const sealed = store.box.seal('session-key', seen.id, sessionKey);
  const postgres = isPostgres(store.db);
  const known = postgres
    ? sql`session_key_fingerprint = any(${fingerprints}::text[])`
    : sql`session_key_fingerprint in (${sql.join(fingerprints)})`;
  // The row still holds the key we opened, and it is this one: only the fingerprint was missing.
  const sameKey =
    current === sessionKey ? sql`(${known} or session_key_current = ${seen.session_key_current})` : sql`(${known})`;
  // A key we cannot open (WEAPP_SECRET_KEY changed) is worthless as a fallback: drop it, unless a
  // concurrent login replaced it meanwhile.
  const previous =
    current === undefined
      ? sql`case when session_key_current = ${seen.session_key_current} then null else session_key_current end`
      : sql`session_key_current`;
  const update = sql<Selectable<IdentitiesTable>>`update identities set
      session_key_current = case when ${sameKey} then session_key_current else ${sealed} end,
      session_key_previous = case when ${sameKey} then session_key_previous else ${previous} end,
      session_key_updated_at = case when ${sameKey} then session_key_updated_at else ${now} end,
      session_key_fingerprint = ${fingerprints[0] ?? null}
    where id = ${seen.id}
    returning *`;
  if (!postgres || !writes) {
    const { rows } = await update.execute(store.db);
    return rows[0] && { row: rows[0], written: false };
  }
  // No identity left to update: nothing is inserted either (the writes select from it).
  const { rows } = await sql<Selectable<IdentitiesTable>>`
    with rotated as (${update}), ${writtenFor([{ writes, now }], only('rotated'))}
    select rotated.* from rotated`.execute(store.db);
  return rows[0] && { row: rows[0], written: true };
}

/**
 * A stored key that no longer opens (the secret key was replaced) must not lock the user out:
 * WeChat just gave us a fresh one, so the login overwrites it.
 */
function openOrUndefined(store: Pick<Store, 'box'>, row: Selectable<IdentitiesTable>): string | undefined {
  try {
    return store.box.open('session-key', row.id, row.session_key_current);
  } catch (err) {
    if (isStoreError(err) && err.code === 'DECRYPT_FAILED') return undefined;
    throw err;
  }
}

/** Gives the identity (and its user, when it has none) the unionid WeChat now reports, or refuses. */
async function linkUnionId(
  db: Kysely<Database>,
  identity: Selectable<IdentitiesTable>,
  unionid: string,
  now: number,
): Promise<Selectable<IdentitiesTable>> {
  try {
    await db
      .updateTable('users')
      .set({ unionid, updated_at: now })
      .where('id', '=', identity.user_id)
      .where('unionid', 'is', null)
      .execute();
  } catch (err) {
    // Another user holds it: the check below reports the conflict.
    if (!isUniqueViolation(err)) throw err;
  }
  const user = await db
    .selectFrom('users')
    .select('unionid')
    .where('id', '=', identity.user_id)
    .executeTakeFirstOrThrow();
  if (user.unionid === unionid) {
    return db
      .updateTable('identities')
      .set({ unionid })
      .where('id', '=', identity.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  const holder = await db.selectFrom('users').select('id').where('unionid', '=', unionid).executeTakeFirst();
  const conflict = {
    appid: identity.appid,
    openid: identity.openid,
    unionid,
    userId: identity.user_id,
    otherUserId: holder?.id ?? null,
  };
  await recordUnionIdConflict(db, conflict, now);
  throw new UnionIdConflictError(conflict);
}
