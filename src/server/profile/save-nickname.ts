import { type Store, type User, updateUserProfile } from '../../store/index.ts';
import { ApiError } from '../errors.ts';

/** Stores the nickname with the review flag the content check gave it (cleared when it passes). */
export async function saveNickname(
  deps: { store: Store; now: () => number },
  userId: string,
  nickname: string,
  check: { underReview: boolean },
): Promise<User> {
  const user = await updateUserProfile(
    deps.store.db,
    userId,
    { nickname, nicknameReview: check.underReview },
    deps.now(),
  );
  if (!user) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
  return user;
}
