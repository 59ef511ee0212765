import type { Kysely } from 'kysely';

// Frozen, like every migration: typed Kysely<any> and never importing today's table types.

/**
 * When each stored avatar stopped being someone's avatar: `media prune` keeps a replaced file for
 * the grace period counted from its replacement, so URLs already handed out do not break at once.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and typed loosely on purpose
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('replaced_media')
    .addColumn('key', 'text', (c) => c.primaryKey().notNull())
    .addColumn('replaced_at', 'bigint', (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('replaced_media').execute();
}
