import type { Kysely } from 'kysely';

// Frozen, like every migration: typed Kysely<any> and never importing today's table types.

/**
 * WeChat's avatar check (issue 12, wechat-api.md §7.3, §17.2): media_check_async answers only a
 * trace_id and pushes the verdict later, so each submission is kept to match the push — which
 * user, which avatar URL, and what WeChat decided. The user row says where the avatar stands:
 * null (no check, or passed), `pending`, `review` (a person should look) or `risky` (removed).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and typed loosely on purpose
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('avatar_review', 'text').execute();
  await db.schema
    .createTable('avatar_checks')
    .addColumn('trace_id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('avatar_url', 'text', (c) => c.notNull())
    .addColumn('submitted_at', 'bigint', (c) => c.notNull())
    .addColumn('verdict', 'text')
    .addColumn('label', 'integer')
    .addColumn('decided_at', 'bigint')
    .execute();
  await db.schema.createIndex('avatar_checks_user_idx').on('avatar_checks').column('user_id').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('avatar_checks').execute();
  await db.schema.alterTable('users').dropColumn('avatar_review').execute();
}
