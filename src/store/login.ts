import type { Kysely, Selectable, Transaction } from 'kysely';
import { isUniqueViolation } from './dialects.ts';
import { isStoreError, UnionIdConflictError } from './errors.ts';
import { type Identity, toIdentity } from './identities.ts';
import { newId } from './ids.ts';
import type { Store } from './store.ts';
import type { Database, IdentitiesTable } from './tables.ts';
import { recordUnionIdConflict } from './unionid-conflicts.ts';
import { findUserById, type User } from './users.ts';

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
    const existing = await store.db
      .selectFrom('identities')
      .select('id')
      .where('appid', '=', input.appid)
      .where('openid', '=', input.openid)
      .executeTakeFirst();
    if (existing) return returningLogin(store, existing.id, input.sessionKey, unionid, now);
    const created = await firstLogin(store, input, unionid, now);
    if (created) return created;
  }
  throw new Error(`identity ${input.appid}/${input.openid} neither found nor created`);
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
      const { userId, isNewUser } = await claimUser(trx, unionid, now);
      const identity = await trx
        .insertInto('identities')
        .values({
          id: identityId,
          user_id: userId,
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
      const user = await findUserById(trx, userId);
      if (!user) throw new Error(`user ${userId} vanished during its first login`);
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
): Promise<{ userId: string; isNewUser: boolean }> {
  const id = newId('u');
  const inserted = await trx
    .insertInto('users')
    .values({ id, unionid: unionid ?? null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('unionid').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { userId: id, isNewUser: true };
  // The unionid is taken, by a committed row (PostgreSQL waited for its transaction to end).
  const holder = await trx
    .selectFrom('users')
    .select('id')
    .where('unionid', '=', unionid ?? null)
    .executeTakeFirstOrThrow();
  return { userId: holder.id, isNewUser: false };
}

async function returningLogin(
  store: Pick<Store, 'db' | 'box'>,
  identityId: string,
  sessionKey: string,
  unionid: string | undefined,
  now: number,
): Promise<LoginResult> {
  let row = await store.db.transaction().execute(async (trx) => {
    // Writing first takes the row lock (PostgreSQL) or the write lock (SQLite), so two logins of one
    // identity rotate its key one after the other, never both from the same "current".
    const locked = await trx
      .updateTable('identities')
      .set({ last_login_at: now })
      .where('id', '=', identityId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const current = openOrUndefined(store, locked);
    if (current === sessionKey) return locked;
    return trx
      .updateTable('identities')
      .set({
        session_key_current: store.box.seal('session-key', identityId, sessionKey),
        // A key we cannot open (WEAPP_SECRET_KEY changed) is worthless as a fallback: drop it.
        session_key_previous: current === undefined ? null : locked.session_key_current,
        session_key_updated_at: now,
      })
      .where('id', '=', identityId)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  if (unionid !== undefined && row.unionid !== unionid) row = await linkUnionId(store.db, row, unionid, now);
  const user = await findUserById(store.db, row.user_id);
  if (!user) throw new Error(`identity ${identityId} points at a missing user`);
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
