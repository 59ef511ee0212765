import { AuthError } from './errors.ts';
import type { AuthRequestOptions, AuthResponse, FileUpload } from './http.ts';
import type { AuthUser } from './types.ts';

/** What the profile and phone steps need of an Auth, without widening its public surface. */
export interface Session {
  /** The multipart field of avatar uploads (the server's AVATAR_FIELD). */
  readonly avatarField: string;
  /** The cached profile; undefined before the first login. */
  cachedUser(): AuthUser | undefined;
  /** GET /v1/me, cached. */
  me(): Promise<AuthUser>;
  /**
   * Sends with the access token (a login first without one); a 401 gets one renewal (a shared
   * refresh, else a new login) and one more send. Non-2xx answers reject with the server's code.
   */
  authorized<T>(send: (token: string | undefined) => Promise<AuthResponse>): Promise<AuthResponse<T>>;
  /** wx.request to our server with `token`, no renewal. */
  send(options: AuthRequestOptions, token: string | undefined): Promise<AuthResponse>;
  /** wx.uploadFile to `path` on our server with `token`, no renewal. */
  sendFile(path: string, file: FileUpload, token: string | undefined): Promise<AuthResponse>;
  /** Runs `fn` while no wx.login of this SDK may start: open data sealed with the session_key is in flight. */
  holdingSessionKey<T>(fn: () => Promise<T>): Promise<T>;
  /** Caches the profile and emits 'user'. */
  setUser(user: AuthUser): void;
}

/** The `user` of a `{user, next}` answer, cached; a 2xx without one is not our server. */
export function storeUser(session: Session, res: AuthResponse): AuthUser {
  const user = (res.data as { user?: AuthUser } | null)?.user;
  if (!user || typeof user !== 'object' || typeof user.id !== 'string') {
    throw new AuthError('HTTP_ERROR', `HTTP ${res.statusCode} without the user in the answer`, {
      statusCode: res.statusCode,
    });
  }
  session.setUser(user);
  return user;
}
