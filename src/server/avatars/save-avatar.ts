import { contentKey, type MediaStore } from '../../media/index.ts';
import { type Store, type User, updateUserProfile } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import type { ImageType } from './sniff-image.ts';

/**
 * Stores the image under its content hash and points the user's avatarUrl at it. The previous
 * file is left in place: URLs already handed out (cached pages, other users' screens) keep working.
 */
export async function saveAvatar(
  deps: { store: Store; media: MediaStore; now: () => number },
  userId: string,
  bytes: Uint8Array,
  type: ImageType,
): Promise<User> {
  const key = contentKey(bytes, type.ext);
  await deps.media.put({ key, bytes, contentType: type.mime });
  const user = await updateUserProfile(deps.store.db, userId, { avatarUrl: deps.media.urlOf(key) }, deps.now());
  if (!user) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
  return user;
}
