import type { Kysely, Selectable } from 'kysely';
import type { Store } from './store.ts';
import type { Database, IdentitiesTable } from './tables.ts';

/** One user as seen by one mini program: WeChat's (appid, openid) and the session_key it handed us. */
export interface Identity {
  /** `i_` and 26 base32 characters; also the context the session keys are sealed to. */
  id: string;
  userId: string;
  appid: string;
  openid: string;
  unionid: string | null;
  /** Sealed at rest; read them with {@link getSessionKeys}. */
  sealedSessionKeys: { current: string; previous: string | null };
  sessionKeyUpdatedAt: number;
  createdAt: number;
  lastLoginAt: number;
}

export interface SessionKeys {
  current: string;
  /**
   * The key before the last login. Open data produced just before a `wx.login` that rotated the
   * key was encrypted with this one (wechat-api.md, "login after getUserInfo").
   */
  previous?: string;
}

export function toIdentity(row: Selectable<IdentitiesTable>): Identity {
  return {
    id: row.id,
    userId: row.user_id,
    appid: row.appid,
    openid: row.openid,
    unionid: row.unionid,
    sealedSessionKeys: { current: row.session_key_current, previous: row.session_key_previous },
    sessionKeyUpdatedAt: row.session_key_updated_at,
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
  };
}

export async function findIdentity(db: Kysely<Database>, appid: string, openid: string): Promise<Identity | undefined> {
  const row = await db
    .selectFrom('identities')
    .selectAll()
    .where('appid', '=', appid)
    .where('openid', '=', openid)
    .executeTakeFirst();
  return row && toIdentity(row);
}

/** The user's identity in one mini program (the most recently used, should WeChat ever give two). */
export async function findIdentityForUser(
  db: Kysely<Database>,
  userId: string,
  appid: string,
): Promise<Identity | undefined> {
  const row = await db
    .selectFrom('identities')
    .selectAll()
    .where('user_id', '=', userId)
    .where('appid', '=', appid)
    .orderBy('last_login_at', 'desc')
    .executeTakeFirst();
  return row && toIdentity(row);
}

/** Decrypts the stored session keys; a StoreError `DECRYPT_FAILED` when WEAPP_SECRET_KEY changed. */
export function getSessionKeys(store: Pick<Store, 'box'>, identity: Identity): SessionKeys {
  const { current, previous } = identity.sealedSessionKeys;
  const keys: SessionKeys = { current: store.box.open('session-key', identity.id, current) };
  if (previous !== null) keys.previous = store.box.open('session-key', identity.id, previous);
  return keys;
}
