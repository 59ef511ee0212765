import type { Derivation } from './ids.ts';
import type { EmulatorAppConfig } from './options.ts';
import {
  type GeneratedProfile,
  generateProfile,
  LANGS,
  type Lang,
  type Profile,
  WECHAT_AVATAR_ORIGIN,
} from './phone/profiles.ts';

/** Mistakes in control-API input; the HTTP layer maps `code` to a status. */
export type ControlErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_APP'
  | 'UNKNOWN_USER'
  | 'CLOCK_NOT_ADVANCEABLE'
  | 'NO_PUSH_URL'
  | 'PUSH_URL_CHECK_FAILED'
  | 'UNKNOWN_MEDIA_CHECK';

export class EmulatorControlError extends Error {
  override readonly name = 'EmulatorControlError';
  readonly code: ControlErrorCode;

  constructor(code: ControlErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface AppRecord {
  appid: string;
  /** Undefined for an app auto-created by the phone side: the first secret a server call presents is adopted. */
  secret?: string;
  openPlatform?: string;
  name?: string;
  ipWhitelist?: string[];
}

export interface UserRecord {
  user: string;
  profile: Profile & { place?: number };
  /** Marked high-risk: code2Session answers 40226. */
  risky: boolean;
  /** What getuserriskrank answers for this user in any app: 0 (default) to 4, higher is riskier. */
  riskRank: number;
  /** The user deleted their WeChat account (注销): nothing on the phone side works for them any more. */
  deleted?: boolean;
}

/** One user in one app: what WeChat keeps per (appid, openid). */
export interface Account {
  appid: string;
  user: string;
  openid: string;
  sessionKey?: string;
  sessionExpiresAt: number;
  /** wx.login calls so far: numbers the "sometimes" rotation draws. */
  logins: number;
  /** Last time the user was seen in the mini program (msg_sec_check's 2-hour rule). */
  lastVisitAt?: number;
  /** Authorizations the user withdrew in WeChat's settings (RevokeInfo codes, §17.1). */
  revoked?: string[];
}

/** What a caller may set on a user; everything else is generated. */
export interface UserInput extends Partial<Omit<Profile, 'purePhoneNumber'>> {
  user: string;
  /** The phone number without country code. `phoneNumber` is accepted as an alias. */
  purePhoneNumber?: string;
  phoneNumber?: string;
  risky?: boolean;
  riskRank?: number;
  /** false brings back a user who deleted their WeChat account (the `all` revocation sets true). */
  deleted?: boolean;
}

const NAME = /^[\w.@+-]{1,64}$/;

function bad(message: string): never {
  throw new EmulatorControlError('INVALID_ARGUMENT', message);
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : bad(`${field} must be a string`);
}

export function validateAppConfig(input: unknown): EmulatorAppConfig {
  const c = (input ?? {}) as Partial<Record<keyof EmulatorAppConfig, unknown>>;
  if (typeof c.appid !== 'string' || !NAME.test(c.appid)) bad('appid must be 1-64 characters of [A-Za-z0-9_.@+-]');
  if (typeof c.secret !== 'string' || c.secret === '') bad('secret must be a non-empty string');
  const config: EmulatorAppConfig = { appid: c.appid, secret: c.secret };
  const openPlatform = optionalString(c.openPlatform, 'openPlatform');
  if (openPlatform) config.openPlatform = openPlatform;
  const name = optionalString(c.name, 'name');
  if (name) config.name = name;
  if (c.ipWhitelist !== undefined) {
    const list = c.ipWhitelist;
    if (!Array.isArray(list) || !list.every((ip) => typeof ip === 'string'))
      bad('ipWhitelist must be an array of addresses');
    config.ipWhitelist = list as string[];
  }
  return config;
}

/** Apps, users and the accounts tying them together; the identities are derived from the seed. */
export class Directory {
  readonly #derive: Derivation;
  readonly #apps = new Map<string, AppRecord>();
  readonly #users = new Map<string, UserRecord>();
  readonly #accounts = new Map<string, Account>();
  readonly #byOpenid = new Map<string, Account>();

  /** Where generated avatars live: WeChat's CDN, or the emulator's own URL (options.avatarHost). */
  avatarOrigin = WECHAT_AVATAR_ORIGIN;

  constructor(derive: Derivation) {
    this.#derive = derive;
  }

  registerApp(input: unknown): AppRecord {
    const config = validateAppConfig(input);
    const record: AppRecord = { ...config };
    this.#apps.set(config.appid, record);
    return record;
  }

  /** An app created on first use (autoCreateApps); `secret` is adopted when a server call names it first. */
  createApp(appid: string, secret?: string): AppRecord {
    if (!NAME.test(appid)) bad('appid must be 1-64 characters of [A-Za-z0-9_.@+-]');
    const record: AppRecord = secret === undefined ? { appid } : { appid, secret };
    this.#apps.set(appid, record);
    return record;
  }

  app(appid: string): AppRecord | undefined {
    return this.#apps.get(appid);
  }

  apps(): AppRecord[] {
    return [...this.#apps.values()];
  }

  upsertUser(input: unknown): UserRecord {
    const i = (input ?? {}) as Partial<Record<keyof UserInput, unknown>>;
    if (typeof i.user !== 'string' || !NAME.test(i.user)) bad('user must be 1-64 characters of [A-Za-z0-9_.@+-]');
    const record = this.user(i.user);
    const p = record.profile;
    const set = <K extends keyof Profile>(key: K, value: Profile[K] | undefined) => {
      if (value !== undefined) p[key] = value;
    };
    set('nickName', optionalString(i.nickName, 'nickName'));
    set('avatarUrl', optionalString(i.avatarUrl, 'avatarUrl'));
    set('city', optionalString(i.city, 'city'));
    set('province', optionalString(i.province, 'province'));
    set('country', optionalString(i.country, 'country'));
    if (i.gender !== undefined)
      set('gender', i.gender === 0 || i.gender === 1 || i.gender === 2 ? i.gender : bad('gender must be 0, 1 or 2'));
    if (i.language !== undefined) {
      set(
        'language',
        LANGS.includes(i.language as Lang) ? (i.language as Lang) : bad(`language must be one of ${LANGS.join(', ')}`),
      );
    }
    const phone = optionalString(i.purePhoneNumber, 'purePhoneNumber') ?? optionalString(i.phoneNumber, 'phoneNumber');
    if (phone !== undefined)
      set('purePhoneNumber', /^\d{4,20}$/.test(phone) ? phone : bad('phone number must be 4-20 digits'));
    const cc = optionalString(i.countryCode, 'countryCode');
    if (cc !== undefined)
      set('countryCode', /^\d{1,4}$/.test(cc) ? cc : bad('countryCode must be 1-4 digits, as a string'));
    // An explicit place replaces the generated one entirely, so no field is left in another language.
    if (i.city !== undefined || i.province !== undefined || i.country !== undefined) {
      delete p.place;
      p.city ??= '';
      p.province ??= '';
      p.country ??= '';
    }
    if (i.risky !== undefined) record.risky = typeof i.risky === 'boolean' ? i.risky : bad('risky must be a boolean');
    if (i.deleted !== undefined) {
      record.deleted = typeof i.deleted === 'boolean' ? i.deleted : bad('deleted must be a boolean');
    }
    if (i.riskRank !== undefined) {
      const rank = i.riskRank;
      record.riskRank =
        typeof rank === 'number' && Number.isInteger(rank) && rank >= 0 && rank <= 4
          ? rank
          : bad('riskRank must be a whole number from 0 to 4');
    }
    return record;
  }

  /** The named user, generated on first use. */
  user(name: string): UserRecord {
    let record = this.#users.get(name);
    if (!record) {
      if (typeof name !== 'string' || !NAME.test(name)) bad('user must be 1-64 characters of [A-Za-z0-9_.@+-]');
      const profile: GeneratedProfile = generateProfile(this.#derive, name, this.avatarOrigin);
      record = { user: name, profile, risky: false, riskRank: 0 };
      this.#users.set(name, record);
    }
    return record;
  }

  findUser(name: string): UserRecord | undefined {
    return this.#users.get(name);
  }

  users(): UserRecord[] {
    return [...this.#users.values()];
  }

  account(appid: string, user: string): Account {
    const key = `${appid}\0${user}`;
    let account = this.#accounts.get(key);
    if (!account) {
      this.user(user);
      account = { appid, user, openid: this.#derive.openid(appid, user), sessionExpiresAt: 0, logins: 0 };
      this.#accounts.set(key, account);
      this.#byOpenid.set(account.openid, account);
    }
    return account;
  }

  accountsOf(user: string): Account[] {
    return [...this.#accounts.values()].filter((a) => a.user === user);
  }

  /** The account behind an openid, in any app: openids are unique per app, so this is unambiguous. */
  accountByOpenid(openid: string): Account | undefined {
    return this.#byOpenid.get(openid);
  }

  /** Only apps bound to an open-platform account get unionids. */
  unionid(app: AppRecord, user: string): string | undefined {
    return app.openPlatform === undefined ? undefined : this.#derive.unionid(app.openPlatform, user);
  }

  clear(): void {
    this.#apps.clear();
    this.#users.clear();
    this.#accounts.clear();
    this.#byOpenid.clear();
  }
}
