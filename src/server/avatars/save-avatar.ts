import { contentKey, type MediaStore, mediaKeyOfUrl } from '../../media/index.ts';
import { findUserById, recordReplacedMedia, type Store, type User, updateUserProfile } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import type { ImageType } from './sniff-image.ts';

/**
 * Stores the image under its content hash and points the user's avatarUrl at it. The previous
 * file is left in place and its replacement noted: `media prune` keeps it for the grace period
 * counted from now, so URLs already handed out (cached pages, other users' screens) keep working.
 */
export async function saveAvatar(
  deps: { store: Store; media: MediaStore; now: () => number },
  userId: string,
  bytes: Uint8Array,
  type: ImageType,
): Promise<User> {
  const key = contentKey(bytes, type.ext);
  await deps.media.put({ key, bytes, contentType: type.mime });
  const before = await findUserById(deps.store.db, userId);
  const user = await updateUserProfile(deps.store.db, userId, { avatarUrl: deps.media.urlOf(key) }, deps.now());
  if (!user) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
  const replaced = before?.avatarUrl ? mediaKeyOfUrl(before.avatarUrl) : undefined;
  if (replaced && replaced !== key) await recordReplacedMedia(deps.store.db, replaced, deps.now());
  return user;
}
