import type { User } from '../store/index.ts';

/** The user as the API shows it to that user. Never an openid, unionid or session_key. */
export function userView(user: User) {
  return {
    id: user.id,
    nickname: user.nickname,
    avatarUrl: user.avatarUrl,
    gender: user.gender,
    country: user.country,
    province: user.province,
    city: user.city,
    language: user.language,
    phoneNumber: user.phoneNumber,
    phoneCountryCode: user.phoneCountryCode,
    nicknameUnderReview: user.nicknameReview,
    // WeChat's avatar check has not answered yet, or asked for a person's review.
    avatarUnderReview: user.avatarReview === 'pending' || user.avatarReview === 'review',
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

/** What the client may want to do next, so it need not guess from nulls. */
export function nextSteps(user: User): string[] {
  const next: string[] = [];
  if (!user.nickname || !user.avatarUrl) next.push('profile_incomplete');
  if (!user.phoneNumber) next.push('phone_missing');
  return next;
}
