import type { Kysely, QueryResult, Selectable } from 'kysely';
import { auditRow } from './audit-row.ts';
import {
  SQLITE_IDENTITY_EXISTS,
  SQLITE_NEW_IDENTITY,
  SQLITE_NEW_USER,
  SQLITE_STAMP_LOGIN,
  SQLITE_TOUCHED,
  touchedValues,
} from './identity-rows.ts';
import { newTimeOrderedId } from './ids.ts';
import { insertText, insertValues } from './insert-text.ts';
import type { OfferingLogin, SigningUp, TouchedIdentity } from './login.ts';
import { type Rotation, type RotationResult, siblingRow, toSession } from './session-rows.ts';
import type { GroupCommitDriver } from './sqlite-group-commit-driver.ts';
import type { IdentitiesTable, SessionsTable, UsersTable } from './tables.ts';
import { toUser, type User } from './users.ts';

/**
 * The store's hot SQLite transactions, whose statements depend on each other's answers, written
 * as procedures: plain functions that run their statements one after the other through `run`,
 * on the thread that holds the connection — the writer thread (./sqlite-writer-worker.ts) when the
 * server has one, else the event loop —, as one transaction inside the group commit
 * (GroupCommitDriver.transact): no pause between statements, no other write in between, rolled
 * back alone if one fails, answered once the group is committed. Sent to a writer thread
 * statement by statement, a transaction would cross to it and back for each (begin, each
 * statement, commit) and hold its connection all that time, every other write waiting.
 *
 * Nothing here loads Kysely at run time (the writer thread runs without it); arguments and
 * results are plain data, as they cross threads as structured clones.
 */

/**
 * Runs one statement of the procedure's transaction. With `arrays`, a read answers each row as
 * the array of its values, in the order of the SELECT list (no property a column).
 */
export type Run = (sql: string, parameters: readonly unknown[], arrays?: 'arrays') => QueryResult<unknown>;

/** SQLite: a refresh token's claim, with the openid for the new access token. Parameters: successor id, now, token hash, now. */
const SQLITE_CLAIM = `update sessions set replaced_by = ?, last_used_at = ?
  where refresh_token_hash = ? and replaced_by is null and revoked_at is null and expires_at > ?
  returning *, (select openid from identities where identities.user_id = sessions.user_id
    and identities.appid = sessions.appid order by last_login_at desc limit 1) as openid`;

/**
 * A returning login (touchIdentity in ./login.ts) and, when it needs nothing more of the identity —
 * the fingerprint says WeChat sent the key we hold, the unionid is the one it has (or none came),
 * no deletion is pending —, the session and the audit event it offered: SQLite's counterpart of
 * PostgreSQL's one statement (touchIdentitiesAndWrite). `written` says whether they went in.
 */
function touchIdentityAndWrite(run: Run, login: OfferingLogin): TouchedIdentity | undefined {
  const { appid, openid } = login.input;
  if (run(SQLITE_STAMP_LOGIN, [login.now, appid, openid]).numAffectedRows === 0n) return undefined;
  // In the same transaction, nothing between: the row just stamped, with its user — unless a
  // trigger on the stamp removed them (test/store/login.test.ts plays a purge so).
  const values = run(SQLITE_TOUCHED, [appid, openid], 'arrays').rows[0] as unknown[] | undefined;
  if (!values) return undefined;
  const { identity, user } = touchedValues(values);
  const written =
    identity.session_key_fingerprint !== null &&
    login.fingerprints.includes(identity.session_key_fingerprint) &&
    (login.input.unionid === undefined || identity.unionid === login.input.unionid) &&
    user.deletionDueAt === null;
  if (written) {
    const session = { ...login.writes.session, user_id: user.id };
    run(insertText('sessions', 1, false), insertValues('sessions', [session]));
    const audit = auditRow({ ...login.writes.audit, userId: user.id }, login.now);
    run(insertText('audit_events', 1, false), insertValues('audit_events', [audit]));
  }
  return { identity, user, written };
}

/**
 * A first login without a unionid (firstLoginAndWrite in ./login.ts on PostgreSQL): the user, the
 * identity, the session and the audit event as one transaction, instead of a Kysely transaction of
 * two statements and two more writes after it — 150-320 µs of CPU a sign-up that way against
 * 40-60 for a returning login, which a burst of new users pays 500 times over (BENCHMARKS.md,
 * issue 11 step 8). The group holds the write lock, so no other writer comes between the look
 * and the inserts: undefined when the identity is there already (a concurrent first login of the
 * same person won), for the caller's next look to find.
 */
function signUpAndWrite(
  run: Run,
  signingUp: SigningUp,
): { user: User; identity: Selectable<IdentitiesTable> } | undefined {
  const { login, userId, identityId, sealedSessionKey, fingerprint } = signingUp;
  const { appid, openid } = login.input;
  if (run(SQLITE_IDENTITY_EXISTS, [appid, openid]).rows.length > 0) return undefined;
  const now = login.now;
  const user = run(SQLITE_NEW_USER, [userId, now, now]).rows[0] as Selectable<UsersTable>;
  const identity = run(SQLITE_NEW_IDENTITY, [
    identityId,
    userId,
    appid,
    openid,
    sealedSessionKey,
    fingerprint,
    now,
    now,
    now,
  ]).rows[0] as Selectable<IdentitiesTable>;
  const session = { ...login.writes.session, user_id: userId };
  run(insertText('sessions', 1, false), insertValues('sessions', [session]));
  const { audit } = login.writes;
  const event = auditRow({ ...audit, userId, details: { ...audit.details, newUser: true } }, now);
  run(insertText('audit_events', 1, false), insertValues('audit_events', [event]));
  return { user: toUser(user), identity };
}

type Rotated = Extract<RotationResult, { status: 'rotated' }>;

/**
 * A refresh token's rotation (rotateSession in ./sessions.ts): the claim — one conditional UPDATE,
 * so of two rotations of one token exactly one wins — and the successor's INSERT. Undefined when
 * the token was not claimed (the caller tells reused, revoked, expired and unknown apart).
 */
function rotateSession(run: Run, rotation: Rotation, now: number): Rotated | undefined {
  const successorId = rotation.successorId ?? newTimeOrderedId('s', now);
  const row = run(SQLITE_CLAIM, [successorId, now, rotation.refreshTokenHash, now]).rows[0] as
    | (Selectable<SessionsTable> & { openid: string | null })
    | undefined;
  if (!row) return undefined;
  const { openid, ...claimed } = row;
  const previous = toSession(claimed);
  const successor = siblingRow(
    previous,
    { ...rotation, refreshTokenHash: rotation.newRefreshTokenHash },
    now,
    successorId,
  );
  run(insertText('sessions', 1, false), insertValues('sessions', [successor]));
  return { status: 'rotated', session: toSession(successor), previous, openid };
}

export const procedures = { touchIdentityAndWrite, signUpAndWrite, rotateSession } satisfies Record<
  string,
  (run: Run, ...args: never[]) => unknown
>;

export type Procedures = typeof procedures;
export type ProcedureName = keyof Procedures;
/** A procedure's arguments after `run`, which the thread running it supplies. */
export type ProcedureArgs<K extends ProcedureName> = Parameters<Procedures[K]> extends [Run, ...infer A] ? A : never;

/** Runs procedure `name` as one transaction of `driver`'s group, on this thread. */
export function runProcedure(
  driver: GroupCommitDriver,
  name: ProcedureName,
  args: readonly unknown[],
): Promise<unknown> {
  const procedure = procedures[name] as (run: Run, ...args: readonly unknown[]) => unknown;
  return driver.transact((run) => procedure(run, ...args));
}

/** The procedures of one SQLite database, run wherever its connection is. */
export interface ProcedureCalls {
  call<K extends ProcedureName>(name: K, ...args: ProcedureArgs<K>): Promise<ReturnType<Procedures[K]>>;
}

const attached = new WeakMap<object, ProcedureCalls>();

/** Called by the SQLite dialects with the Kysely made on them: how to run a procedure there. */
export function attachProcedures(
  db: object,
  call: (name: ProcedureName, args: readonly unknown[]) => Promise<unknown>,
) {
  attached.set(db, { call: (name, ...args) => call(name, args) as never });
}

/**
 * The procedures of `db`: a SQLite database opened with openDatabase (or openStore). Undefined
 * for PostgreSQL, and for a transaction (a procedure is a transaction of its own).
 */
// biome-ignore lint/suspicious/noExplicitAny: any database schema
export function sqliteProcedures(db: Kysely<any>): ProcedureCalls | undefined {
  return attached.get(db);
}
