import type { Kysely } from 'kysely';

// Frozen, like every migration: typed Kysely<any> and never importing today's table types.

/**
 * A keyed fingerprint of the identity's current session key (HMAC-SHA256 under a subkey of
 * WEAPP_SECRET_KEY, see SecretBox.fingerprints): a returning login compares it in SQL instead of
 * reading the row and opening the sealed key first. Rows from before stay NULL — filling them
 * needs the secret key, which a migration does not have —, and their next login fills it in.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and typed loosely on purpose
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('identities').addColumn('session_key_fingerprint', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('identities').dropColumn('session_key_fingerprint').execute();
}
