/** The user as our server shows it to that user (never an openid, unionid or session_key). */
export interface AuthUser {
  id: string;
  nickname: string | null;
  avatarUrl: string | null;
  gender: number;
  country: string | null;
  province: string | null;
  city: string | null;
  language: string | null;
  phoneNumber: string | null;
  phoneCountryCode: string | null;
  /** The content check asked for a manual review of the nickname, or could not be made. */
  nicknameUnderReview?: boolean;
  createdAt: string;
}

/** What the server suggests next: `profile_incomplete`, `phone_missing`. */
export type NextStep = 'profile_incomplete' | 'phone_missing' | (string & {});

export interface LoginResult {
  user: AuthUser;
  isNewUser: boolean;
  next: NextStep[];
}

/** The credential pair our server issues; kept in wx storage between launches. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /** Local clock, ms: when the access token stops working (informative; the server decides). */
  expiresAt: number;
}

export interface TokenAnswer {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}
