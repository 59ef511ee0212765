import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, UsersTable } from './tables.ts';

/** WeChat's convention: 0 unknown (and what WeChat has sent since 2021), 1 male, 2 female. */
export type Gender = 0 | 1 | 2;

export interface User {
  /** Our id: `u_` and 26 base32 characters; never an openid, which is per-app and guessable to leak. */
  id: string;
  unionid: string | null;
  nickname: string | null;
  avatarUrl: string | null;
  gender: Gender;
  country: string | null;
  province: string | null;
  city: string | null;
  language: string | null;
  /** Without country code (WeChat's purePhoneNumber). */
  phoneNumber: string | null;
  phoneCountryCode: string | null;
  phoneVerifiedAt: number | null;
  /** The content check asked for a manual review of the nickname. */
  nicknameReview: boolean;
  /** WeChat's avatar check: `pending` until it answers, `review` (a person should look), `risky` (removed). */
  avatarReview: AvatarReview | null;
  createdAt: number;
  updatedAt: number;
  /** When a requested account deletion falls due; null when none is pending (a login cancels it). */
  deletionDueAt: number | null;
}

export type AvatarReview = 'pending' | 'review' | 'risky';

export type ProfilePatch = Partial<
  Pick<
    User,
    | 'nickname'
    | 'avatarUrl'
    | 'gender'
    | 'country'
    | 'province'
    | 'city'
    | 'language'
    | 'nicknameReview'
    | 'avatarReview'
  >
>;

export interface PhoneNumber {
  /** WeChat's purePhoneNumber. */
  phoneNumber: string;
  /** WeChat's countryCode, a string such as "86". */
  countryCode: string;
}

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    unionid: row.unionid,
    nickname: row.nickname,
    avatarUrl: row.avatar_url,
    gender: row.gender === 1 || row.gender === 2 ? row.gender : 0,
    country: row.country,
    province: row.province,
    city: row.city,
    language: row.language,
    phoneNumber: row.phone_number,
    phoneCountryCode: row.phone_country_code,
    phoneVerifiedAt: row.phone_verified_at,
    nicknameReview: row.nickname_review === 1,
    avatarReview:
      row.avatar_review === 'pending' || row.avatar_review === 'review' || row.avatar_review === 'risky'
        ? row.avatar_review
        : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletionDueAt: row.deletion_due_at ?? null,
  };
}

export async function findUserById(db: Kysely<Database>, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

/** Sets the given fields (an absent one is left alone, `null` clears it); undefined when no such user. */
export async function updateUserProfile(
  db: Kysely<Database>,
  id: string,
  patch: ProfilePatch,
  now: number = Date.now(),
): Promise<User | undefined> {
  const set: Updateable<UsersTable> = { updated_at: now };
  if (patch.nickname !== undefined) set.nickname = patch.nickname;
  if (patch.avatarUrl !== undefined) set.avatar_url = patch.avatarUrl;
  if (patch.gender !== undefined) set.gender = patch.gender;
  if (patch.country !== undefined) set.country = patch.country;
  if (patch.province !== undefined) set.province = patch.province;
  if (patch.city !== undefined) set.city = patch.city;
  if (patch.language !== undefined) set.language = patch.language;
  if (patch.nicknameReview !== undefined) set.nickname_review = patch.nicknameReview ? 1 : 0;
  if (patch.avatarReview !== undefined) set.avatar_review = patch.avatarReview;
  const row = await db.updateTable('users').set(set).where('id', '=', id).returningAll().executeTakeFirst();
  return row && toUser(row);
}

/** Records a phone number WeChat vouched for; undefined when no such user. */
export async function setUserPhone(
  db: Kysely<Database>,
  id: string,
  phone: PhoneNumber,
  now: number = Date.now(),
): Promise<User | undefined> {
  const row = await db
    .updateTable('users')
    .set({
      phone_number: phone.phoneNumber,
      phone_country_code: phone.countryCode,
      phone_verified_at: now,
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && toUser(row);
}

/**
 * Every avatar URL users hold, read a page at a time in id order (keyset paging: no page is
 * skipped or read twice while other rows change), so a large users table never sits in memory.
 */
export async function* listAvatarUrls(db: Kysely<Database>, pageSize = 1000): AsyncGenerator<string> {
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('users')
      .select(['id', 'avatar_url'])
      .where('avatar_url', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    for (const row of rows) if (row.avatar_url) yield row.avatar_url;
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = last.id;
  }
}
