import type { Kysely } from 'kysely';

// Frozen, like every migration: typed Kysely<any> and never importing today's table types.

/**
 * The user's rights (issue 12): a deletion requested and when it falls due (a cooling-off period
 * during which a login cancels it), and the audit log of security events — which never holds a
 * secret, token or full phone number, and outlives the users it names only by their ids.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and typed loosely on purpose
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('deletion_requested_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('deletion_due_at', 'bigint').execute();
  await db.schema.createIndex('users_deletion_due_idx').on('users').column('deletion_due_at').execute();
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('appid', 'text')
    .addColumn('user_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('rid', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();
  await db.schema.createIndex('audit_events_user_idx').on('audit_events').columns(['user_id', 'at']).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
  await db.schema.dropIndex('users_deletion_due_idx').execute();
  await db.schema.alterTable('users').dropColumn('deletion_due_at').execute();
  await db.schema.alterTable('users').dropColumn('deletion_requested_at').execute();
}
