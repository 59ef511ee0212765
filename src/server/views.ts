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

/** What GET /v1/me answers for `user`. */
export interface MeView {
  readonly user: Readonly<ReturnType<typeof userView>>;
  readonly next: readonly string[];
}

const meViews = new WeakMap<User, MeView>();

/**
 * {@link userView} and {@link nextSteps} of `user`, made once per User object: GET /v1/me answers
 * from the user the session cache holds (src/tokens/live-sessions.ts), the same object request
 * after request, and its date and two objects were per-request garbage. Users are never changed
 * in place — a changed user is read again as a new object — so an answer cannot go stale; it is
 * frozen, since every request shares it.
 */
export function meView(user: User): MeView {
  let view = meViews.get(user);
  if (view === undefined) {
    view = Object.freeze({ user: Object.freeze(userView(user)), next: Object.freeze(nextSteps(user)) });
    meViews.set(user, view);
  }
  return view;
}
