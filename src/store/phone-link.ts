import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables.ts';
import { findUserById, type PhoneNumber, type User } from './users.ts';

export interface PhoneLinkInput {
  /** The user the login just created. */
  newUserId: string;
  /** Its one identity, which moves. */
  identityId: string;
  /** The number WeChat vouched for in this login. */
  phone: PhoneNumber;
}

/** Why a phone link was not made, for the log line that says so. */
export type PhoneLinkRefusal =
  | 'no_holder'
  | 'several_holders'
  | 'not_a_new_user'
  | 'holder_in_same_app'
  | 'different_unionid';

export type PhoneLinkResult = { linked: true; user: User } | { linked: false; reason: PhoneLinkRefusal };

/**
 * PHONE_LINK_POLICY=link: a brand-new user whose verified phone number exactly one existing user
 * holds joins that user — their identity moves over and the empty new user is deleted.
 *
 * Numbers are recycled by carriers, so this hands an account to whoever holds the number now;
 * it is off by default. Even when on, nothing is linked when the facts disagree: several users
 * hold the number, the existing user already has a different WeChat account in this mini
 * program, or the two accounts carry different unionids (two different WeChat users).
 */
export async function linkNewUserByPhone(
  db: Kysely<Database>,
  input: PhoneLinkInput,
  now: number = Date.now(),
): Promise<PhoneLinkResult> {
  return db.transaction().execute(async (trx) => {
    const holders = await trx
      .selectFrom('users')
      .select(['id', 'unionid'])
      .where('phone_number', '=', input.phone.phoneNumber)
      .where('phone_country_code', '=', input.phone.countryCode)
      .where('phone_verified_at', 'is not', null)
      .where('id', '!=', input.newUserId)
      .limit(2)
      .execute();
    const holder = holders[0];
    if (!holder) return refused('no_holder');
    if (holders.length > 1) return refused('several_holders');

    const identity = await trx
      .selectFrom('identities')
      .select(['id', 'appid', 'unionid'])
      .where('id', '=', input.identityId)
      .where('user_id', '=', input.newUserId)
      .executeTakeFirst();
    if (!identity || !(await isUntouched(trx, input.newUserId))) return refused('not_a_new_user');
    const sameApp = await trx
      .selectFrom('identities')
      .select('id')
      .where('user_id', '=', holder.id)
      .where('appid', '=', identity.appid)
      .executeTakeFirst();
    if (sameApp) return refused('holder_in_same_app');
    if (identity.unionid !== null && holder.unionid !== null && identity.unionid !== holder.unionid) {
      return refused('different_unionid');
    }

    await trx.updateTable('identities').set({ user_id: holder.id }).where('id', '=', identity.id).execute();
    // The new user goes first: it may hold the unionid the holder is about to take.
    await trx.deleteFrom('users').where('id', '=', input.newUserId).execute();
    if (identity.unionid !== null && holder.unionid === null) {
      await trx
        .updateTable('users')
        .set({ unionid: identity.unionid, updated_at: now })
        .where('id', '=', holder.id)
        .where('unionid', 'is', null)
        .execute();
    }
    const user = await findUserById(trx, holder.id);
    if (!user) throw new Error(`user ${holder.id} vanished while linking by phone`);
    return { linked: true as const, user };
  });
}

/** The user has exactly one identity and no session yet: nobody has used it but this login. */
async function isUntouched(trx: Transaction<Database>, userId: string): Promise<boolean> {
  const identities = await trx
    .selectFrom('identities')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const session = await trx.selectFrom('sessions').select('id').where('user_id', '=', userId).executeTakeFirst();
  return Number(identities.n) === 1 && session === undefined;
}

function refused(reason: PhoneLinkRefusal): PhoneLinkResult {
  return { linked: false, reason };
}
