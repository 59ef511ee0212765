// What the control API shows of the emulator's state: never a secret or a session_key.
import type { CallCounts, CallEvent } from './calls.ts';
import type { AppRecord, Directory, UserRecord } from './directory.ts';
import { fullPhoneNumber, placeNames } from './phone/profiles.ts';
import { currentSessionKey } from './sessions.ts';

export interface AppView {
  appid: string;
  name?: string;
  openPlatform?: string;
  ipWhitelist?: string[];
  /** Secrets are never shown; false for an app created on first use that no server call has named yet. */
  hasSecret: boolean;
}

export interface IdentityView {
  appid: string;
  openid: string;
  unionid?: string;
  /** Whether the user has a live session_key in this app. */
  loggedIn: boolean;
  sessionExpiresAt?: number;
  lastVisitAt?: number;
  /** RevokeInfo codes of the authorizations the user withdrew in this app (§17.1). */
  revoked?: string[];
}

export interface UserView {
  user: string;
  risky: boolean;
  /** The user deleted their WeChat account (the `all` action). */
  deleted?: boolean;
  /** What getuserriskrank answers for this user. */
  riskRank: number;
  profile: {
    nickName: string;
    avatarUrl: string;
    gender: number;
    language: string;
    city: string;
    province: string;
    country: string;
    phoneNumber: string;
    purePhoneNumber: string;
    countryCode: string;
  };
  identities: IdentityView[];
}

export interface CallsView {
  counts: CallCounts;
  /** The last 200 calls, oldest first. */
  recent: CallEvent[];
}

export function appView(app: AppRecord): AppView {
  const view: AppView = { appid: app.appid, hasSecret: app.secret !== undefined };
  if (app.name !== undefined) view.name = app.name;
  if (app.openPlatform !== undefined) view.openPlatform = app.openPlatform;
  if (app.ipWhitelist !== undefined) view.ipWhitelist = [...app.ipWhitelist];
  return view;
}

export function userView(record: UserRecord, directory: Directory, now: number): UserView {
  const { profile } = record;
  const place = placeNames(profile, 'en');
  return {
    user: record.user,
    risky: record.risky,
    ...(record.deleted && { deleted: true }),
    riskRank: record.riskRank,
    profile: {
      nickName: profile.nickName,
      avatarUrl: profile.avatarUrl,
      gender: profile.gender,
      language: profile.language,
      ...place,
      phoneNumber: fullPhoneNumber(profile),
      purePhoneNumber: profile.purePhoneNumber,
      countryCode: profile.countryCode,
    },
    identities: directory.accountsOf(record.user).map((a) => {
      const app = directory.app(a.appid);
      const unionid = app ? directory.unionid(app, a.user) : undefined;
      const alive = currentSessionKey(a, now) !== undefined;
      const view: IdentityView = { appid: a.appid, openid: a.openid, loggedIn: alive };
      if (unionid !== undefined) view.unionid = unionid;
      if (alive) view.sessionExpiresAt = a.sessionExpiresAt;
      if (a.lastVisitAt !== undefined) view.lastVisitAt = a.lastVisitAt;
      if (a.revoked?.length) view.revoked = [...a.revoked];
      return view;
    }),
  };
}
