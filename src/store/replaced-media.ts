import type { Kysely } from 'kysely';
import type { Database } from './tables.ts';

/** Notes that the stored object `key` was just replaced as someone's avatar (the latest time wins). */
export async function recordReplacedMedia(db: Kysely<Database>, key: string, now: number = Date.now()): Promise<void> {
  await db
    .insertInto('replaced_media')
    .values({ key, replaced_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ replaced_at: now }))
    .execute();
}

/** The keys replaced at or after `since`: still inside their grace period. */
export async function listReplacedMediaSince(db: Kysely<Database>, since: number): Promise<string[]> {
  const rows = await db.selectFrom('replaced_media').select('key').where('replaced_at', '>=', since).execute();
  return rows.map((r) => r.key);
}

/** Forgets replacements older than `before`; their grace period is over. Returns how many. */
export async function forgetReplacedMediaBefore(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db.deleteFrom('replaced_media').where('replaced_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
