import type { Selectable } from 'kysely';
import type { IdentitiesTable, UsersTable } from './tables.ts';
import { toUser, type User } from './users.ts';

/*
 * An identity and its user as a returning login's statement answers them: what ./login.ts and the
 * procedures of the SQLite writer thread (./sqlite-procedures.ts) share, without Kysely at run time.
 */

/** Every identity column, checked against the table type so a new column cannot be forgotten here. */
export const IDENTITY_COLUMNS = Object.keys({
  id: true,
  user_id: true,
  appid: true,
  openid: true,
  unionid: true,
  session_key_current: true,
  session_key_previous: true,
  session_key_fingerprint: true,
  session_key_updated_at: true,
  created_at: true,
  last_login_at: true,
} satisfies Record<keyof IdentitiesTable, true>) as (keyof IdentitiesTable)[];

/** Every user column, likewise. */
export const USER_COLUMNS = Object.keys({
  id: true,
  unionid: true,
  nickname: true,
  avatar_url: true,
  gender: true,
  country: true,
  province: true,
  city: true,
  language: true,
  phone_number: true,
  phone_country_code: true,
  phone_verified_at: true,
  nickname_review: true,
  created_at: true,
  updated_at: true,
  deletion_requested_at: true,
  deletion_due_at: true,
  avatar_review: true,
} satisfies Record<keyof UsersTable, true>) as (keyof UsersTable)[];

/** The identity's columns in a RETURNING list, prefixed `i_` beside the user's (the names overlap). */
export const IDENTITY_RETURNING = IDENTITY_COLUMNS.map((c) => `identities.${c} as i_${c}`).join(', ');

/**
 * A returning login's one statement, per dialect: it stamps the identity's last login and answers
 * the identity with its user. PostgreSQL joins the user with UPDATE … FROM (./login.ts); SQLite's
 * RETURNING cannot name a FROM table's columns, so there the user comes as one JSON object from a
 * subquery on its primary key (measured: half the cost of a subquery per column). Written as SQL
 * text, not built with Kysely's query builder: building and compiling this query cost 45-200 µs of
 * CPU per login, the text about 2. Parameters: the time, the appid, the openid. The SQLite
 * procedure (./sqlite-procedures.ts) uses the pair below instead.
 */
export const SQLITE_TOUCH =
  'update identities set last_login_at = ? where appid = ? and openid = ? returning ' +
  `${IDENTITY_RETURNING}, (select json_object(${USER_COLUMNS.map((c) => `'${c}', ${c}`).join(', ')}) ` +
  'from users where users.id = identities.user_id) as user_json';

/**
 * The same in two statements, for a returning login inside a SQLite procedure, where nothing runs
 * between them: the stamp alone (parameters: the time, the appid, the openid), then the identity
 * and its user, joined, read as one array (parameters: the appid, the openid; {@link touchedValues}).
 * 8 µs of CPU a login against 13 for {@link SQLITE_TOUCH} and its JSON on Node 20, 5.4 against 10
 * on Node 24 (BENCHMARKS.md, issue 11 step 10): RETURNING collects its rows before answering them,
 * the user crossed as JSON text to parse, and named columns cost an object property each.
 */
export const SQLITE_STAMP_LOGIN = 'update identities set last_login_at = ? where appid = ? and openid = ?';
export const SQLITE_TOUCHED =
  `select ${IDENTITY_COLUMNS.map((c) => `identities.${c}`).join(', ')}, ${USER_COLUMNS.map((c) => `users.${c}`).join(', ')} ` +
  'from identities join users on users.id = identities.user_id where identities.appid = ? and identities.openid = ?';

/** The identity and its user from a row of either statement: `user` is the row itself on PostgreSQL, the JSON on SQLite. */
export function touchedRow(
  row: Record<string, unknown>,
  postgres: boolean,
): { identity: Selectable<IdentitiesTable>; user: User } {
  const identity = Object.fromEntries(IDENTITY_COLUMNS.map((c) => [c, row[`i_${c}`]]));
  const user = postgres ? row : (JSON.parse(row.user_json as string) as Record<string, unknown>);
  return {
    identity: identity as unknown as Selectable<IdentitiesTable>,
    user: toUser(user as unknown as Selectable<UsersTable>),
  };
}

/** The identity and its user from {@link SQLITE_TOUCHED}'s array: the identity's columns, then the user's. */
export function touchedValues(values: readonly unknown[]): { identity: Selectable<IdentitiesTable>; user: User } {
  const identity: Record<string, unknown> = {};
  for (let i = 0; i < IDENTITY_COLUMNS.length; i++) identity[IDENTITY_COLUMNS[i] as string] = values[i];
  const user: Record<string, unknown> = {};
  for (let i = 0; i < USER_COLUMNS.length; i++) user[USER_COLUMNS[i] as string] = values[IDENTITY_COLUMNS.length + i];
  return {
    identity: identity as unknown as Selectable<IdentitiesTable>,
    user: toUser(user as unknown as Selectable<UsersTable>),
  };
}

/**
 * A first login's rows on SQLite (signUpAndWrite in ./sqlite-procedures.ts), as SQL text. Whether
 * the identity is there, by its unique key: parameters the appid, the openid.
 */
export const SQLITE_IDENTITY_EXISTS = 'select 1 from identities where appid = ? and openid = ?';

/** A new user without a unionid, answered whole. Parameters: id, now, now. */
export const SQLITE_NEW_USER =
  'insert into users (id, unionid, created_at, updated_at) values (?, null, ?, ?) returning *';

/**
 * A new identity, answered whole. Parameters: id, user_id, appid, openid, the sealed session key,
 * its fingerprint, now (the key's), now (created), now (last login).
 */
export const SQLITE_NEW_IDENTITY =
  'insert into identities (id, user_id, appid, openid, unionid, session_key_current, session_key_fingerprint, ' +
  'session_key_updated_at, created_at, last_login_at) values (?, ?, ?, ?, null, ?, ?, ?, ?, ?) returning *';
