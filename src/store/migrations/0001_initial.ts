import type { Kysely } from 'kysely';

// Frozen: this file describes the schema as it was when it shipped. Later changes are new
// migrations; it must never import today's table types, hence Kysely<any>.

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and typed loosely on purpose
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('unionid', 'text', (c) => c.unique())
    .addColumn('nickname', 'text')
    .addColumn('avatar_url', 'text')
    .addColumn('gender', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('country', 'text')
    .addColumn('province', 'text')
    .addColumn('city', 'text')
    .addColumn('language', 'text')
    .addColumn('phone_number', 'text')
    .addColumn('phone_country_code', 'text')
    .addColumn('phone_verified_at', 'bigint')
    .addColumn('nickname_review', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('identities')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('unionid', 'text')
    .addColumn('session_key_current', 'text', (c) => c.notNull())
    .addColumn('session_key_previous', 'text')
    .addColumn('session_key_updated_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint', (c) => c.notNull())
    // The constraint concurrent first logins race on: exactly one row per (appid, openid).
    .addUniqueConstraint('identities_appid_openid_key', ['appid', 'openid'])
    .execute();
  await db.schema.createIndex('identities_user_id_idx').on('identities').columns(['user_id', 'appid']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('family_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('refresh_token_hash', 'text', (c) => c.notNull().unique())
    // No foreign key: rotation names the successor before inserting it, in one transaction.
    .addColumn('replaced_by', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoke_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('ip', 'text')
    .execute();
  await db.schema.createIndex('sessions_family_id_idx').on('sessions').column('family_id').execute();
  await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey().notNull())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .addColumn('not_after', 'bigint')
    .execute();

  await db.schema
    .createTable('unionid_conflicts')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('unionid', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('other_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('unionid_conflicts_case_key', ['appid', 'openid', 'unionid'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['unionid_conflicts', 'signing_keys', 'sessions', 'identities', 'users']) {
    await db.schema.dropTable(table).execute();
  }
}
