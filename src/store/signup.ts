import type { Kysely } from 'kysely';
import type { Database } from './tables.ts';

/**
 * Whether a login of this WeChat identity would sign up a new user: no identity (appid, openid)
 * yet, and no user holding its unionid (who would get the identity instead). Read before the
 * login writes anything, so a check at sign-up (SIGNUP_RISK_MAX_RANK) can refuse with nothing
 * created. Two first logins racing both read "new": both are checked, one user is created.
 */
export async function isSignup(
  db: Kysely<Database>,
  who: { appid: string; openid: string; unionid?: string | undefined },
): Promise<boolean> {
  const identity = await db
    .selectFrom('identities')
    .select('id')
    .where('appid', '=', who.appid)
    .where('openid', '=', who.openid)
    .executeTakeFirst();
  if (identity) return false;
  if (!who.unionid) return true;
  const holder = await db.selectFrom('users').select('id').where('unionid', '=', who.unionid).executeTakeFirst();
  return holder === undefined;
}
