import { type MediaStore, PUT_REFRESH_MS, type StoredMedia } from './media-store.ts';

export interface PruneMediaOptions {
  media: MediaStore;
  /** The keys some user's avatarUrl points at (read through {@link mediaKeyOfUrl}). */
  referencedKeys: () => Promise<ReadonlySet<string>>;
  /**
   * The keys replaced as someone's avatar since the given time (epoch ms): their grace period runs
   * from the replacement, not from when they were stored.
   */
  replacedKeysSince?: (since: number) => Promise<ReadonlySet<string>>;
  /** The grace period: an unreferenced object stored or replaced more recently than this is kept. */
  olderThanMs: number;
  /** List what would go, delete nothing. */
  dryRun?: boolean;
  now?: () => number;
  /** Called for each object deleted (or, in a dry run, that would be), as it happens. */
  onDelete?: (object: StoredMedia) => void;
}

export interface PruneMediaResult {
  /** Content-keyed objects the store holds. */
  stored: number;
  referenced: number;
  /** Unreferenced, but stored or replaced within the grace period. */
  young: number;
  /** Deleted (or, in a dry run, to be deleted). */
  deleted: StoredMedia[];
}

/**
 * Deletes the stored objects no user points at that were stored, and replaced, longer ago than the
 * grace period.
 * Objects are shared (equal bytes, one key), so only the whole users table can tell one is unused.
 *
 * The references are read before the listing, and a put refreshes storedAt: an object uploaded
 * again while this runs is either seen referenced or seen young. The grace period may not be
 * shorter than PUT_REFRESH_MS, the staleness a put may leave.
 */
export async function pruneMedia(options: PruneMediaOptions): Promise<PruneMediaResult> {
  if (!(options.olderThanMs >= PUT_REFRESH_MS)) {
    throw new RangeError(`the grace period must be at least ${PUT_REFRESH_MS / 3600_000} hours`);
  }
  const referenced = await options.referencedKeys();
  const now = (options.now ?? Date.now)();
  const replaced = (await options.replacedKeysSince?.(now - options.olderThanMs)) ?? new Set<string>();
  const result: PruneMediaResult = { stored: 0, referenced: 0, young: 0, deleted: [] };
  for await (const object of options.media.list()) {
    result.stored++;
    if (referenced.has(object.key)) {
      result.referenced++;
    } else if (now - object.storedAt < options.olderThanMs || replaced.has(object.key)) {
      result.young++;
    } else {
      if (!options.dryRun) await options.media.delete(object.key);
      result.deleted.push(object);
      options.onDelete?.(object);
    }
  }
  return result;
}
