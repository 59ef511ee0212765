import type { Kysely, Selectable, Transaction } from 'kysely';
import { isUniqueViolation } from './dialects.ts';
import { isStoreError, UnionIdConflictError } from './errors.ts';
import { type Identity, toIdentity } from './identities.ts';
import { newId } from './ids.ts';
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
): Promise<LoginResult> {
  // WeChat omits unionid, but a hand-written caller may pass "": both mean "none".
  const unionid = input.unionid || undefined;
  // Two rounds suffice: a lost race means the identity exists for the second look.
  for (let round = 0; round < 2; round++) {
    const existing = await findIdentityWithUser(store.db, input.appid, input.openid);
    if (existing) return returningLogin(store, existing, input.sessionKey, unionid, now);
    const created = await firstLogin(store, input, unionid, now);
    if (created) return created;
  }
  throw new Error(`identity ${input.appid}/${input.openid} neither found nor created`);
}

/** Every identity column, checked against the table type so a new column cannot be forgotten here. */
const IDENTITY_COLUMNS = Object.keys({
  id: true,
  user_id: true,
  appid: true,
  openid: true,
  unionid: true,
  session_key_current: true,
  session_key_previous: true,
  session_key_updated_at: true,
  created_at: true,
  last_login_at: true,
} satisfies Record<keyof IdentitiesTable, true>) as (keyof IdentitiesTable)[];

/** The identity and its user in one statement: the identity's columns come back prefixed `i_`. */
async function findIdentityWithUser(
  db: Kysely<Database>,
  appid: string,
  openid: string,
): Promise<{ identity: Selectable<IdentitiesTable>; user: User } | undefined> {
  const row = await db
    .selectFrom('identities')
    .innerJoin('users', 'users.id', 'identities.user_id')
    .selectAll('users')
    .select(IDENTITY_COLUMNS.map((c) => `identities.${c} as i_${c}` as const))
    .where('identities.appid', '=', appid)
    .where('identities.openid', '=', openid)
    .executeTakeFirst();
  if (!row) return undefined;
  const record = row as unknown as Record<string, unknown>;
  const identity = Object.fromEntries(IDENTITY_COLUMNS.map((c) => [c, record[`i_${c}`]]));
  return { identity: identity as Selectable<IdentitiesTable>, user: toUser(row as Selectable<UsersTable>) };
}

async function firstLogin(
  store: Pick<Store, 'db' | 'box'>,
  input: LoginInput,
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
 * A known identity logs in again: one statement. When WeChat rotated the session key, the new
 * one becomes current and the current one previous inside that statement (SQL reads the row it
 * is writing, under its lock), so two logins of one identity rotate its key one after the other,
 * never both from the same "current".
 */
async function returningLogin(
  store: Pick<Store, 'db' | 'box'>,
  found: { identity: Selectable<IdentitiesTable>; user: User },
  sessionKey: string,
  unionid: string | undefined,
  now: number,
): Promise<LoginResult> {
  const seen = found.identity;
  const current = openOrUndefined(store, seen);
  let row =
    current === sessionKey
      ? await store.db
          .updateTable('identities')
          .set({ last_login_at: now })
          .where('id', '=', seen.id)
          .returningAll()
          .executeTakeFirstOrThrow()
      : await store.db
          .updateTable('identities')
          .set((eb) => ({
            session_key_current: store.box.seal('session-key', seen.id, sessionKey),
            // A key we cannot open (WEAPP_SECRET_KEY changed) is worthless as a fallback: drop it,
            // unless a concurrent login replaced it meanwhile.
            session_key_previous:
              current === undefined
                ? eb
                    .case()
                    .when('session_key_current', '=', seen.session_key_current)
                    .then(null)
                    .else(eb.ref('session_key_current'))
                    .end()
                : eb.ref('session_key_current'),
            session_key_updated_at: now,
            last_login_at: now,
          }))
          .where('id', '=', seen.id)
          .returningAll()
          .executeTakeFirstOrThrow();
  let user = found.user;
  if (unionid !== undefined && row.unionid !== unionid) {
    row = await linkUnionId(store.db, row, unionid, now);
    user = (await findUserById(store.db, row.user_id)) ?? user;
  }
  return { user, identity: toIdentity(row), isNewUser: false };
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
