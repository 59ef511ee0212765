import type { Kysely } from 'kysely';

// Frozen, like every migration: typed Kysely<any> and never importing today's table types.

/** PHONE_LINK_POLICY=link looks users up by verified phone number at login. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and typed loosely on purpose
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('users_phone_idx').on('users').columns(['phone_number', 'phone_country_code']).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_phone_idx').execute();
}
