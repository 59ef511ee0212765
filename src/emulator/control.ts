import { encryptOpenData } from '../wechat/crypto/index.ts';
import type { CallEvent } from './calls.ts';
import { isAdvanceable } from './clock.ts';
import { type ContentRule, validateContentRules } from './content-rules.ts';
import { type Account, type AppRecord, EmulatorControlError } from './directory.ts';
import type { ActiveFault, FaultRule } from './faults.ts';
import { newLoginCode, newPhoneCode } from './ids.ts';
import type { EmulatorAppConfig } from './options.ts';
import type { PhoneUsage, PhoneVerification } from './phone/billing.ts';
import {
  clientUserInfo,
  phonePayload,
  signUserData,
  type UserInfo,
  userInfoFields,
  userInfoPayload,
} from './phone/open-data.ts';
import { LANGS, type Lang } from './phone/profiles.ts';
import { PushControl } from './push/push-control.ts';
import { REVOKE_PHONE } from './push/user-events.ts';
import { currentSessionKey, loginSession } from './sessions.ts';
import type { EmulatorState, ResetScope } from './state.ts';
import { type AppView, appView, type CallsView, type UserView, userView } from './views.ts';
import { WxaCodeControl } from './wxacode/wxacode-control.ts';

/** A `wx.*` failure, exactly as the mini program's `fail` callback receives it. */
export interface WxFail {
  errMsg: string;
  /** On newer base libraries: e.g. 1400001, the app's phone quota is spent. */
  errno?: number;
}

export interface LoginResult {
  code: string;
  errMsg: 'login:ok';
}

export interface UserInfoResult {
  userInfo: UserInfo;
  rawData: string;
  /** Absent with withCredentials: false, as are encryptedData and iv. */
  signature?: string;
  encryptedData?: string;
  iv?: string;
  errMsg: 'getUserInfo:ok' | 'getUserProfile:ok';
}

export interface PhoneNumberResult {
  errMsg: 'getPhoneNumber:ok' | 'getRealtimePhoneNumber:ok';
  /** For getuserphonenumber: 5 minutes, once, this app and user only. */
  code: string;
  /** The legacy form, present while the user has a live session_key. */
  encryptedData?: string;
  iv?: string;
}

export interface GetUserInfoOptions {
  /** Default true; true needs a live session_key (a wx.login not yet expired). */
  withCredentials?: boolean;
  /** Language of the place names; WeChat's default is "en". */
  lang?: Lang;
  /** Today's anonymized data ("微信用户", gray avatar); default true. false gives legacy full data. */
  anonymous?: boolean;
}

export interface GetUserProfileOptions {
  /** Required, 1-30 characters: shown in the dialog. */
  desc: string;
  lang?: Lang;
  /** Default true (getUserProfile is anonymized since 2022-11-08). */
  anonymous?: boolean;
}

const DESC_MAX = 30;

function bad(message: string): never {
  throw new EmulatorControlError('INVALID_ARGUMENT', message);
}

function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  return typeof value === 'boolean' ? value : bad(`${name} must be a boolean`);
}

function lang(value: unknown): Lang {
  if (value === undefined) return 'en';
  return LANGS.includes(value as Lang) ? (value as Lang) : bad(`lang must be one of ${LANGS.join(', ')}`);
}

/**
 * The phone: what the mini program's `wx.*` calls would return for a given app and user, plus the
 * emulator's own knobs (apps, users, faults, counters, clock). The HTTP control API is a thin
 * layer over this object.
 */
export class EmulatorControl {
  readonly #state: EmulatorState;
  /** Mini-program codes: the phone's scan, the app's published pages. */
  readonly wxacode: WxaCodeControl;
  /** Message push, the user's revocations in WeChat's settings, media checks. */
  readonly push: PushControl;

  constructor(state: EmulatorState) {
    this.#state = state;
    this.wxacode = new WxaCodeControl(state);
    this.push = new PushControl(state);
  }

  /** What this emulator runs with; the seed reproduces its openids, unionids and profiles. */
  info(): { emulator: 'weapp-auth'; seed: string; sessionKeyRotation: string; autoCreateApps: boolean; now: number } {
    const { options } = this.#state;
    return {
      emulator: 'weapp-auth',
      seed: options.seed,
      sessionKeyRotation: options.sessionKeyRotation,
      autoCreateApps: options.autoCreateApps,
      now: this.#state.now(),
    };
  }

  // ---- apps and users ----

  registerApp(config: EmulatorAppConfig): AppView {
    return appView(this.#state.directory.registerApp(config));
  }

  apps(): AppView[] {
    return this.#state.directory.apps().map((a) => appView(a));
  }

  /** Creates the user or changes the given fields; the others keep their (generated) values. */
  upsertUser(input: { user: string } & Record<string, unknown>): UserView {
    return userView(this.#state.directory.upsertUser(input), this.#state.directory, this.#state.now());
  }

  user(name: string): UserView {
    const record = this.#state.directory.findUser(name);
    if (!record) throw new EmulatorControlError('UNKNOWN_USER', `no user ${name}`);
    return userView(record, this.#state.directory, this.#state.now());
  }

  users(): UserView[] {
    return this.#state.directory.users().map((u) => userView(u, this.#state.directory, this.#state.now()));
  }

  /** The user's openid (and unionid) in an app, as code2Session will report them. */
  identity(appid: string, user: string): { openid: string; unionid?: string } {
    const app = this.#state.phoneApp(appid);
    const account = this.#state.directory.account(app.appid, user);
    const unionid = this.#state.directory.unionid(app, user);
    return { openid: account.openid, ...(unionid !== undefined && { unionid }) };
  }

  // ---- wx.* stand-ins ----

  /** wx.login: a fresh code (5 minutes, once), the session_key rotated per policy (or `rotate`). */
  login(appid: string, user: string, options: { rotate?: boolean } = {}): LoginResult {
    const state = this.#state;
    const { account } = this.#visit(appid, user);
    const rotate = options.rotate === undefined ? undefined : optionalBoolean(options.rotate, 'rotate', false);
    loginSession(account, {
      policy: state.options.sessionKeyRotation,
      ttlMs: state.options.sessionKeyTtlMs,
      now: state.now(),
      derive: state.derive,
      ...(rotate !== undefined && { rotate }),
    });
    const code = newLoginCode();
    state.loginCodes.issue(code, { appid: account.appid, user: account.user }, state.now());
    return { code, errMsg: 'login:ok' };
  }

  /** wx.checkSession: ok while the session_key of the latest login lives. */
  checkSession(appid: string, user: string): WxFail {
    const { account } = this.#visit(appid, user);
    return currentSessionKey(account, this.#state.now()) === undefined
      ? { errMsg: 'checkSession:fail session time out, need relogin' }
      : { errMsg: 'checkSession:ok' };
  }

  /** wx.getUserInfo / the getUserInfo button. */
  getUserInfo(appid: string, user: string, options: GetUserInfoOptions = {}): UserInfoResult | WxFail {
    const withCredentials = optionalBoolean(options.withCredentials, 'withCredentials', true);
    const anonymous = optionalBoolean(options.anonymous, 'anonymous', true);
    const { app, account } = this.#visit(appid, user);
    const { profile } = this.#state.directory.user(account.user);
    const fields = userInfoFields(profile, { anonymous, lang: lang(options.lang) });
    if (!withCredentials) {
      return {
        userInfo: clientUserInfo(fields, anonymous),
        rawData: JSON.stringify(fields),
        errMsg: 'getUserInfo:ok',
      };
    }
    const sessionKey = currentSessionKey(account, this.#state.now());
    if (sessionKey === undefined) return { errMsg: 'getUserInfo:fail need wx.login first' };
    const unionId = this.#state.directory.unionid(app, account.user);
    const payload = userInfoPayload(fields, { openId: account.openid, ...(unionId !== undefined && { unionId }) });
    return {
      ...signUserData(sessionKey, fields, payload, this.#watermark(appid), anonymous),
      errMsg: 'getUserInfo:ok',
    };
  }

  /** wx.getUserProfile: like getUserInfo, but its encryptedData carries neither openId nor unionId. */
  getUserProfile(appid: string, user: string, options: GetUserProfileOptions): UserInfoResult | WxFail {
    const anonymous = optionalBoolean(options?.anonymous, 'anonymous', true);
    const language = lang(options?.lang);
    const desc = options?.desc;
    if (typeof desc !== 'string' || desc.length === 0 || [...desc].length > DESC_MAX) {
      return { errMsg: 'getUserProfile:fail desc length does not meet the requirements' };
    }
    const { account } = this.#visit(appid, user);
    const sessionKey = currentSessionKey(account, this.#state.now());
    if (sessionKey === undefined) return { errMsg: 'getUserProfile:fail need wx.login first' };
    const fields = userInfoFields(this.#state.directory.user(account.user).profile, { anonymous, lang: language });
    return {
      ...signUserData(sessionKey, fields, { ...fields }, this.#watermark(appid), anonymous),
      errMsg: 'getUserProfile:ok',
    };
  }

  /**
   * The getPhoneNumber button (quick verification): a phone code, and the legacy encryptedData
   * while a session_key lives. With the app's quota spent, errno 1400001 before the user is asked;
   * an allowed tap is billed (phoneUsage).
   */
  getPhoneNumber(appid: string, user: string, options: { deny?: boolean } = {}): PhoneNumberResult | WxFail {
    return this.#phoneButton('quick', appid, user, options);
  }

  /** The getRealtimePhoneNumber button (real-time verification): a phone code only; billed apart. */
  getRealtimePhoneNumber(appid: string, user: string, options: { deny?: boolean } = {}): PhoneNumberResult | WxFail {
    return this.#phoneButton('realtime', appid, user, options);
  }

  /** What each phone button has cost the app so far, and what is left of its quota. */
  phoneUsage(appid: string): PhoneUsage {
    return { ...this.#state.phoneBilling.usage(appid) };
  }

  /** Sets what is left of the app's phone quota (0: the next tap answers errno 1400001). */
  setPhoneQuota(appid: string, remaining: number): PhoneUsage {
    if (!Number.isInteger(remaining) || remaining < 0) bad('remaining must be a whole number ≥ 0');
    return this.#state.phoneBilling.setRemaining(appid, remaining);
  }

  #phoneButton(
    kind: PhoneVerification,
    appid: string,
    user: string,
    options: { deny?: boolean },
  ): PhoneNumberResult | WxFail {
    const api = kind === 'quick' ? 'getPhoneNumber' : 'getRealtimePhoneNumber';
    const deny = optionalBoolean(options.deny, 'deny', false);
    const state = this.#state;
    const { account } = this.#visit(appid, user);
    // The quota is checked at the tap, before the user sees anything.
    if (!state.phoneBilling.hasQuota(appid)) return { errMsg: `${api}:fail no quota`, errno: 1400001 };
    if (deny) return { errMsg: `${api}:fail user deny` };
    state.phoneBilling.charge(appid, kind);
    // Allowing the button again grants the phone number anew after a revocation (RevokeInfo 8).
    account.revoked = account.revoked?.filter((code) => code !== REVOKE_PHONE);
    const code = newPhoneCode();
    state.phoneCodes.issue(code, { appid: account.appid, user: account.user }, state.now());
    const sessionKey = currentSessionKey(account, state.now());
    if (kind === 'realtime') return { errMsg: 'getRealtimePhoneNumber:ok', code };
    if (sessionKey === undefined) return { errMsg: 'getPhoneNumber:ok', code };
    const { timestamp } = this.#watermark(appid);
    // The old phone page shows this watermark as {appid, timestamp}.
    const sealed = encryptOpenData(sessionKey, phonePayload(state.directory.user(account.user).profile), {
      watermark: { appid, timestamp },
    });
    return { errMsg: 'getPhoneNumber:ok', code, ...sealed };
  }

  // ---- faults, counters, content rules ----

  addFault(rule: FaultRule): ActiveFault {
    try {
      return this.#state.faults.add(rule);
    } catch (err) {
      if (err instanceof TypeError) bad(err.message);
      throw err;
    }
  }

  faults(): ActiveFault[] {
    return this.#state.faults.list();
  }

  removeFault(id: number): boolean {
    return this.#state.faults.remove(id);
  }

  clearFaults(): void {
    this.#state.faults.clear();
  }

  /** How many times each WeChat API was called, per app, and the latest calls. */
  calls(appid?: string): CallsView {
    return { counts: this.#state.calls.counts(appid), recent: this.#state.calls.recent(appid) };
  }

  /** Every later WeChat-side call, as it completes. Returns the unsubscribe function. */
  onCall(listener: (event: CallEvent) => void): () => void {
    return this.#state.calls.listen(listener);
  }

  contentRules(): ContentRule[] {
    return this.#state.contentRules.map((r) => ({ ...r }));
  }

  setContentRules(rules: ContentRule[]): ContentRule[] {
    try {
      this.#state.contentRules = validateContentRules(rules);
    } catch (err) {
      if (err instanceof TypeError) bad(err.message);
      throw err;
    }
    return this.contentRules();
  }

  // ---- reset and clock ----

  reset(scope: ResetScope = 'all'): void {
    if (scope !== 'all' && scope !== 'faults' && scope !== 'calls') bad('scope must be all, faults or calls');
    this.#state.reset(scope);
  }

  now(): number {
    return this.#state.now();
  }

  /** Moves the emulator's clock: only when it is advanceable (the default clock or a ManualClock). */
  advanceClock(ms: number): number {
    const { clock } = this.#state;
    if (!isAdvanceable(clock)) {
      throw new EmulatorControlError(
        'CLOCK_NOT_ADVANCEABLE',
        'the emulator runs on a clock it was given; advance that clock',
      );
    }
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) bad('ms must be a finite number >= 0');
    clock.advance(ms);
    return clock.now();
  }

  // ---- helpers ----

  /** The (app, user) account, marked as visiting the mini program now (msg_sec_check's 2-hour rule). */
  #visit(appid: string, user: string): { app: AppRecord; account: Account } {
    const app = this.#state.phoneApp(appid);
    if (typeof user !== 'string') bad('user must be a string');
    if (this.#state.directory.findUser(user)?.deleted) {
      throw new EmulatorControlError(
        'UNKNOWN_USER',
        `${user} deleted their WeChat account (bring them back: POST /users {"user": "${user}", "deleted": false})`,
      );
    }
    const account = this.#state.directory.account(app.appid, user);
    account.lastVisitAt = this.#state.now();
    return { app, account };
  }

  #watermark(appid: string): { appid: string; timestamp: number } {
    return { appid, timestamp: Math.floor(this.#state.now() / 1000) };
  }
}
