import { contentKey, type MediaStore, mediaKeyOfUrl } from '../../media/index.ts';
import { recordAvatarCheck } from '../../store/avatar-checks.ts';
import { findUserById, recordReplacedMedia, type Store, type User, updateUserProfile } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import { removeAvatarIfUnused } from '../user-rights/account-deletion.ts';
import type { AvatarSubmission } from './avatar-check.ts';
import type { ImageType } from './sniff-image.ts';

/**
 * Stores the image under its content hash and points the user's avatarUrl at it. The previous
 * file is left in place and its replacement noted: `media prune` keeps it for the grace period
 * counted from now, so URLs already handed out (cached pages, other users' screens) keep working.
 * `check` (WeChat's avatar check) sees the public URL before the user does; when it refuses, the
 * file goes again unless someone else shows it.
 */
export async function saveAvatar(
  deps: { store: Store; media: MediaStore; now: () => number },
  userId: string,
  bytes: Uint8Array,
  type: ImageType,
  check?: (avatarUrl: string) => Promise<AvatarSubmission>,
): Promise<User> {
  const key = contentKey(bytes, type.ext);
  await deps.media.put({ key, bytes, contentType: type.mime });
  const avatarUrl = deps.media.urlOf(key);
  let submission: AvatarSubmission = { review: null };
  if (check) {
    try {
      submission = await check(avatarUrl);
    } catch (err) {
      await removeAvatarIfUnused({ db: deps.store.db, media: deps.media }, avatarUrl).catch(() => false);
      throw err;
    }
  }
  const before = await findUserById(deps.store.db, userId);
  // One transaction: a verdict pushed right after WeChat's answer finds the check and the avatar together.
  const user = await deps.store.db.transaction().execute(async (trx) => {
    const updated = await updateUserProfile(trx, userId, { avatarUrl, avatarReview: submission.review }, deps.now());
    if (updated && submission.check)
      await recordAvatarCheck(trx, { ...submission.check, userId, avatarUrl }, deps.now());
    return updated;
  });
  if (!user) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
  const replaced = before?.avatarUrl ? mediaKeyOfUrl(before.avatarUrl) : undefined;
  if (replaced && replaced !== key) await recordReplacedMedia(deps.store.db, replaced, deps.now());
  return user;
}
