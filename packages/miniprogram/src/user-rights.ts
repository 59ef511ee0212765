import type { AuthRequestOptions, AuthResponse } from './http.ts';
import type { AuthUser } from './types.ts';

/** Auth.request: the access token, one renewal on 401, one more send after a 503 when `retry`. */
type Request = <T>(options: AuthRequestOptions) => Promise<AuthResponse<T>>;

/** What DELETE /v1/me answers (docs/user-rights.md). Times are ms since the epoch. */
export interface AccountDeletion {
  /** `deleted`: gone now. `scheduled`: purged at `purgeAt`, unless the user logs in before (that cancels it). */
  status: 'deleted' | 'scheduled' | (string & {});
  requestedAt: number;
  /** Equal to `requestedAt` when deleted at once; else the end of the server's cooling-off period. */
  purgeAt: number;
}

/**
 * The stored user, in full, as GET /v1/me/export gives it to its owner: the profile fields of
 * AuthUser (the phone number in full), plus what the server keeps beside them. Times in ms.
 */
export interface ExportedUser
  extends Pick<
    AuthUser,
    'id' | 'nickname' | 'avatarUrl' | 'gender' | 'country' | 'province' | 'city' | 'language' | 'phoneNumber'
  > {
  unionid: string | null;
  phoneCountryCode: string | null;
  phoneVerifiedAt: number | null;
  nicknameReview: boolean;
  createdAt: number;
  updatedAt: number;
  deletionRequestedAt: number | null;
  deletionDueAt: number | null;
}

/** GET /v1/me/export: everything the server holds about the user (docs/user-rights.md lists each field). */
export interface DataExport {
  exportedAt: number;
  user: ExportedUser;
  /** Each mini program the user logged in to. */
  identities: { appid: string; openid: string; unionid: string | null; createdAt: number; lastLoginAt: number }[];
  /** Each login session, ended ones included. */
  sessions: {
    appid: string;
    createdAt: number;
    lastUsedAt: number | null;
    expiresAt: number;
    endedAt: number | null;
    endedBecause: string | null;
    userAgent: string | null;
    ip: string | null;
  }[];
  /** The user's audit events, newest first. */
  securityEvents: {
    at: number;
    type: string;
    appid: string | null;
    ip: string | null;
    details: Record<string, unknown> | null;
  }[];
}

/**
 * DELETE /v1/me. Sent once, never repeated by the SDK: after a lost answer the session may already
 * be over, and the login a retry would need cancels a deletion waiting out its cooling-off period.
 */
export async function deleteAccount(request: Request): Promise<AccountDeletion> {
  const res = await request<AccountDeletion>({ url: '/v1/me', method: 'DELETE', retry: false });
  return res.data;
}

/** GET /v1/me/export: a read, repeated once after a 503 or no answer like every GET. */
export async function exportData(request: Request): Promise<DataExport> {
  const res = await request<DataExport>({ url: '/v1/me/export' });
  return res.data;
}
