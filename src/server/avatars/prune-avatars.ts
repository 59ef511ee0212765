import {
  type MediaStore,
  mediaKeyOfUrl,
  type PruneMediaResult,
  pruneMedia,
  type StoredMedia,
} from '../../media/index.ts';
import { forgetReplacedMediaBefore, listAvatarUrls, listReplacedMediaSince, type Store } from '../../store/index.ts';

export interface PruneAvatarsOptions {
  db: Store['db'];
  media: MediaStore;
  olderThanMs: number;
  dryRun?: boolean | undefined;
  now?: () => number;
  onDelete?: (object: StoredMedia) => void;
}

/**
 * Deletes stored avatars nobody uses any more: no user's avatarUrl points at them, and they were
 * stored and replaced longer ago than the grace period. What `weapp-auth media prune` runs.
 */
export async function pruneAvatars(options: PruneAvatarsOptions): Promise<PruneMediaResult> {
  const now = options.now ?? Date.now;
  const result = await pruneMedia({
    media: options.media,
    referencedKeys: async () => {
      const keys = new Set<string>();
      for await (const url of listAvatarUrls(options.db)) {
        const key = mediaKeyOfUrl(url);
        if (key) keys.add(key);
      }
      return keys;
    },
    replacedKeysSince: async (since) => new Set(await listReplacedMediaSince(options.db, since)),
    olderThanMs: options.olderThanMs,
    dryRun: options.dryRun,
    now,
    onDelete: options.onDelete,
  });
  if (!options.dryRun) await forgetReplacedMediaBefore(options.db, now() - options.olderThanMs);
  return result;
}
