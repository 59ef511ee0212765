// uni-app (Vue): the SDK on the global `uni`, typed by @dcloudio/types — no cast.
import { type AuthUser, createAuth, isAuthError, type PrivacyConsentRequest } from 'weapp-auth-miniprogram';

export const auth = createAuth({ baseUrl: 'https://auth.example.com', wx: uni });

/** A privacy popup component keeps the request and answers it from its buttons. */
export function listenForConsent(show: (request: PrivacyConsentRequest) => void): () => void {
  return auth.onPrivacyConsentNeeded(show);
}

export async function saveProfile(nickname: string, avatarFilePath: string): Promise<AuthUser | string> {
  try {
    return await auth.updateProfile({ nickname, avatarFilePath });
  } catch (err) {
    return isAuthError(err) ? err.code : 'UNKNOWN';
  }
}
