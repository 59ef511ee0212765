import { type Session, storeUser } from './session.ts';
import type { AuthUser } from './types.ts';

/** What the fill-in components gave: `<input type="nickname">` and `<button open-type="chooseAvatar">`. */
export interface ProfileUpdate {
  /** From `<input type="nickname">`; blank or WeChat's placeholder "微信用户" counts as not given. */
  nickname?: string | undefined;
  /** `e.detail.avatarUrl` of the chooseAvatar button: a temporary file on the phone. */
  avatarFilePath?: string | undefined;
}

/** WeChat's anonymous nickname: "not provided", never stored (the server refuses it too). */
const PLACEHOLDER_NICKNAME = '微信用户';

function givenNickname(nickname: string | undefined): string | undefined {
  if (typeof nickname !== 'string') return undefined;
  const trimmed = nickname.normalize('NFC').trim();
  return trimmed === '' || trimmed === PLACEHOLDER_NICKNAME ? undefined : nickname;
}

/**
 * The avatar first (wx.uploadFile to /v1/me/avatar), then the nickname (POST /v1/me: wx.request
 * has no PATCH). Each stored change updates the cached user. Nothing to send: the user as cached.
 */
export async function updateProfile(session: Session, update: ProfileUpdate): Promise<AuthUser> {
  const nickname = givenNickname(update.nickname);
  const filePath = update.avatarFilePath || undefined;
  let user: AuthUser | undefined;
  if (filePath !== undefined) {
    const file = { filePath, name: session.avatarField };
    user = storeUser(session, await session.authorized((token) => session.sendFile('/v1/me/avatar', file, token)));
  }
  if (nickname !== undefined) {
    const options = { url: '/v1/me', method: 'POST', data: { nickname } } as const;
    user = storeUser(session, await session.authorized((token) => session.send(options, token)));
  }
  return user ?? session.cachedUser() ?? session.me();
}
