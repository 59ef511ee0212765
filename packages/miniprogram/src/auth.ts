import { AuthError, isAuthDeny, isAuthError } from './errors.ts';
import { type AuthEventName, type AuthEvents, Emitter, type RetryEvent } from './events.ts';
import { Mutex, SingleFlight } from './flight.ts';
import { type AuthRequestOptions, type AuthResponse, answerError, isOk, send, sendFile } from './http.ts';
import { invoke } from './invoke.ts';
import { acceptLanguage, withLanguage } from './language.ts';
import type { AuthOptions, LoginOptions, UserInfoOptions, UserProfileOptions } from './options.ts';
import { askToOpenSettings, DEFAULT_USERINFO_PROMPT, type PromptWording, wasRefused } from './permission.ts';
import { bindPhone, type PhoneNumberEvent } from './phone.ts';
import { PrivacyConsent, type PrivacyConsentListener } from './privacy.ts';
import { type ProfileUpdate, updateProfile } from './profile.ts';
import { QrLogin } from './qr-login.ts';
import { isRepeatable, isTransient, type RetryPolicy, retryDelay, retryPolicy } from './retry.ts';
import type { Session } from './session.ts';
import { SessionStorage } from './storage.ts';
import type { AuthUser, LoginResult, StoredTokens, TokenAnswer } from './types.ts';
import { type AccountDeletion, type DataExport, deleteAccount, exportData } from './user-rights.ts';
import { accountAppid, globalWx, type WxApi, type WxUserInfoResult } from './wx-api.ts';

type UserInfoData = WxUserInfoResult;

/** Errors that mean the posted data was sealed with a session_key the server no longer holds. */
const STALE_DATA = new Set(['SESSION_KEY_STALE', 'DECRYPT_FAILED']);

/**
 * The client half of weapp-auth. One instance per mini program (create it in app.js):
 * - login(): wx.login → POST /v1/login → tokens in storage; concurrent callers share one login.
 *   A 503 or a network failure is retried with a fresh code, with backoff.
 * - request(): wx.request with the access token; on 401 one shared refresh, else a new login,
 *   then one retry. A repeatable request is sent once more after a 503 or a network failure.
 * - getUserInfo(): the legacy profile, sealed with a session_key the server holds, with the
 *   deny → showModal → openSetting → retry dance.
 */
export class Auth {
  readonly #wx: WxApi;
  readonly #baseUrl: string;
  readonly #appid: string | undefined;
  readonly #storage: SessionStorage;
  readonly #events = new Emitter();
  readonly #prompt: PromptWording;
  readonly #timeoutMs: number;
  readonly #avatarField: string;
  readonly #retry: RetryPolicy;
  readonly #privacy: PrivacyConsent;
  /** The Accept-Language of the next request (./language.ts). */
  readonly #language: () => string | undefined;
  /**
   * Scan to log in on a website: the confirm page's inspect(scene), confirm(scene), cancel(scene),
   * each as this user (see docs/miniprogram.md, "Scan to log in on a website").
   */
  readonly qrLogin: QrLogin;
  #tokens: StoredTokens | undefined;
  #user: AuthUser | undefined;
  readonly #logins = new SingleFlight<LoginResult>();
  readonly #renewal = new SingleFlight<void>();
  /**
   * Held by wx.login + its exchange, and by the collection and upload of open data: a wx.login in
   * between would rotate the session_key the data is sealed with (wechat-api.md §9.4).
   */
  readonly #sessionKey = new Mutex();

  constructor(options: AuthOptions) {
    if (typeof options?.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError('createAuth: baseUrl must be an http(s) URL, e.g. "https://auth.example.com"');
    }
    const wx = options.wx ?? globalWx();
    if (!wx) throw new TypeError('createAuth: no `wx` here; pass the wx-shaped object (Taro, uni) as options.wx');
    this.#wx = wx;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#appid = options.appid ?? accountAppid(wx);
    this.#storage = new SessionStorage(wx, this.#appid ?? 'default');
    this.#prompt = { ...DEFAULT_USERINFO_PROMPT, ...options.prompts?.userInfo };
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#avatarField = options.avatarField ?? 'file';
    this.#retry = retryPolicy(options.retry);
    this.#privacy = new PrivacyConsent(wx);
    this.#language = acceptLanguage(wx, options.language);
    this.qrLogin = new QrLogin((options) => this.request(options));
    // A restart picks the session up where it was: no wx.login until the server says otherwise.
    this.#tokens = this.#storage.readTokens();
    this.#user = this.#storage.readUser();
  }

  /** The profile cached at the last login or profile update (from storage after a restart). */
  get user(): AuthUser | undefined {
    return this.#user;
  }

  /** Whether tokens are held. The server may still end the session; request() then logs in again. */
  get isLoggedIn(): boolean {
    return this.#tokens !== undefined;
  }

  get appid(): string | undefined {
    return this.#appid;
  }

  on<E extends AuthEventName>(event: E, listener: (payload: AuthEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * wx.login → POST /v1/login → tokens in storage. Callers arriving meanwhile share this login;
   * one with a `phoneCode` waits for it, then logs in with the code (which must reach the server).
   */
  async login(options: LoginOptions = {}): Promise<LoginResult> {
    const { phoneCode } = options;
    if (phoneCode) {
      for (let running = this.#logins.running; running; running = this.#logins.running) {
        await running.catch(() => undefined);
      }
    }
    return this.#logins.run(() => this.#sessionKey.run(() => this.#exchangeCode(phoneCode)));
  }

  /**
   * wx.request to our server (or another backend verifying our tokens) with the access token.
   * Resolves with 2xx answers; rejects with an AuthError carrying the server's `code` otherwise.
   * A repeatable request (GET, HEAD, PUT, DELETE, OPTIONS, or `retry: true`) answered 503, or
   * not answered, is sent once more after a wait.
   */
  async request<T = unknown>(options: AuthRequestOptions): Promise<AuthResponse<T>> {
    const send = this.#sentAgainOnce(options, (token) => this.#send(options, token));
    if (options.auth === false) return this.#checked<T>(await send(undefined));
    return this.#authorized<T>(send);
  }

  /**
   * The fill-in profile stored on the server: the avatar (`avatarFilePath`, the chooseAvatar
   * button's temporary file) uploaded first, then the nickname. Blank or "微信用户" is not sent.
   */
  updateProfile(update: ProfileUpdate): Promise<AuthUser> {
    return updateProfile(this.#session, update);
  }

  /**
   * The getPhoneNumber button's event (or `e.detail`) stored on the server. A refusal rejects here
   * with PHONE_DENIED (other failures WX_API_FAILED), without a request.
   */
  bindPhone(event: PhoneNumberEvent): Promise<AuthUser> {
    return bindPhone(this.#session, event);
  }

  /**
   * Resolves once the user has agreed to the app's privacy guide: at once when nothing needs
   * agreeing (or on base libraries before 2.32.3), otherwise after the consent flow — the popup
   * given to onPrivacyConsentNeeded, or WeChat's own. Call it before showing the avatar, nickname
   * and phone components. Rejects PRIVACY_NOT_AUTHORIZED (refused) or PRIVACY_API_UNDECLARED.
   */
  ensurePrivacyConsent(): Promise<void> {
    return this.#privacy.ensure();
  }

  /** Whether the user still has to agree to the privacy guide (wx.getPrivacySetting). */
  privacyConsentNeeded(): Promise<boolean> {
    return this.#privacy.needed();
  }

  /**
   * Your privacy popup: called when a privacy API or component waits for consent
   * (wx.onNeedPrivacyAuthorization; the newest listener gets it). Returns the unsubscribe function.
   */
  onPrivacyConsentNeeded(listener: PrivacyConsentListener): () => void {
    return this.#privacy.listen(listener);
  }

  /** GET /v1/me: the user as the server has it now; refreshes the cached profile. */
  async me(): Promise<AuthUser> {
    const { data } = await this.request<{ user: AuthUser }>({ url: '/v1/me' });
    this.#setUser(data.user);
    return data.user;
  }

  /**
   * The legacy profile (wx.getUserInfo) stored on the server. Makes sure WeChat seals it with a
   * session_key the server holds (wx.checkSession, a login first when it expired, no wx.login
   * between collecting and posting), and runs the permission dance when the user refused.
   */
  async getUserInfo(options: UserInfoOptions = {}): Promise<AuthUser> {
    const wording = { ...this.#prompt, ...options.prompt };
    await this.#privacy.ensure();
    let danced = false;
    if (await wasRefused(this.#wx, 'scope.userInfo')) {
      danced = true;
      await askToOpenSettings(this.#wx, 'scope.userInfo', wording);
    }
    let relogin = false;
    let renewed = false;
    for (;;) {
      const token = await this.#accessToken();
      try {
        return await this.#sessionKey.run(async () => {
          if (relogin || !(await this.#sessionKeyAlive())) await this.#exchangeCode();
          const data = await invoke<UserInfoData>('getUserInfo', (settle) =>
            this.#wx.getUserInfo({ withCredentials: true, ...(options.lang && { lang: options.lang }), ...settle }),
          );
          return this.#postOpenData(data);
        });
      } catch (err) {
        if (!isAuthError(err)) throw err;
        if (isAuthDeny(err) && !danced) {
          danced = true;
          await askToOpenSettings(this.#wx, 'scope.userInfo', wording);
          continue;
        }
        if (err.statusCode === 401 && !renewed) {
          // Renewed outside the lock (it may log in), then the data is collected again.
          renewed = true;
          await this.#renew(token, err.code);
          continue;
        }
        if ((STALE_DATA.has(err.code) || /need wx\.login/.test(err.errMsg ?? '')) && !relogin) {
          relogin = true;
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * wx.getUserProfile, stored on the server. Call it straight from a tap handler: WeChat only
   * shows the dialog for a tap, so it is invoked before anything is awaited.
   */
  async getUserProfile(options: UserProfileOptions): Promise<AuthUser> {
    const produced = invoke<UserInfoData>('getUserProfile', (settle) =>
      this.#wx.getUserProfile({ desc: options.desc, ...(options.lang && { lang: options.lang }), ...settle }),
    );
    produced.catch(() => undefined);
    let data: UserInfoData;
    try {
      data = await produced;
    } catch (err) {
      if (isAuthDeny(err)) throw new AuthError('AUTH_DENIED', 'The user refused to share the profile.');
      throw err;
    }
    await this.#accessToken();
    try {
      return await this.#postOpenData(data);
    } catch (err) {
      if (!isAuthError(err) || err.statusCode !== 401) throw err;
      // A refresh keeps the session_key; a new login would not, and the data cannot be produced
      // again without another tap, so a failure here is the caller's to report.
      await this.#renew(this.#tokens?.accessToken ?? '', err.code);
      return this.#postOpenData(data);
    }
  }

  /**
   * Closes the user's account (DELETE /v1/me; PIPL Art. 47): every session ends at once, and the
   * data goes now, or at `purgeAt` after the server's cooling-off period, which a login before then
   * cancels. Ask the user first. On success this phone forgets the session too (a `logout` event
   * with reason `account_deleted`); on failure nothing changed. Not repeated after a lost answer.
   */
  async deleteAccount(): Promise<AccountDeletion> {
    const deletion = await deleteAccount((options) => this.request(options));
    this.#forget();
    this.#events.emit('logout', { reason: 'account_deleted' });
    return deletion;
  }

  /** GET /v1/me/export: everything the server holds about the user (PIPL Art. 45), typed field by field. */
  exportData(): Promise<DataExport> {
    return exportData((options) => this.request(options));
  }

  /** Ends the session on the server (best effort) and forgets it here. */
  async logout(): Promise<void> {
    const tokens = this.#tokens;
    this.#forget();
    this.#events.emit('logout', { reason: 'logout' });
    if (!tokens) return;
    try {
      let res = await this.#send({ url: '/v1/logout', method: 'POST', data: {} }, tokens.accessToken);
      if (res.statusCode === 401 && answerError(res).code === 'TOKEN_EXPIRED') {
        // An expired access token cannot end the session; a refresh can get one that does.
        const fresh = await this.#post<TokenAnswer>('/v1/token/refresh', { refreshToken: tokens.refreshToken });
        res = await this.#send({ url: '/v1/logout', method: 'POST', data: {} }, fresh.accessToken);
      }
    } catch {
      // Offline or already ended: the tokens are gone from this phone either way.
    }
  }

  // ---- the steps ----

  /**
   * wx.login and its exchange. A reused or stale code gets one fresh code; a 503 or a network
   * failure gets a fresh code after a wait, up to the retry policy's attempts. Never the same code
   * twice: after a failure nobody knows whether the server redeemed it. Runs under #sessionKey.
   */
  async #exchangeCode(phoneCode?: string): Promise<LoginResult> {
    let replaced = false;
    for (let attempt = 1; ; ) {
      const { code } = await invoke<{ code: string }>('login', (settle) => this.#wx.login(settle));
      try {
        const answer = await this.#post<TokenAnswer & LoginResult>('/v1/login', {
          code,
          ...(this.#appid && { appid: this.#appid }),
          ...(phoneCode && { phoneCode }),
        });
        this.#setTokens(answer);
        this.#setUser(answer.user);
        const result: LoginResult = { user: answer.user, isNewUser: answer.isNewUser, next: answer.next };
        this.#events.emit('login', result);
        return result;
      } catch (err) {
        // A code works once, for 5 minutes: a fresh one is the fix for both (a phone code is only
        // redeemed after the login code was accepted, so it is still good).
        if (!replaced && isAuthError(err) && (err.code === 'CODE_USED' || err.code === 'INVALID_CODE')) {
          replaced = true;
          continue;
        }
        // A phone code may have been spent before the failure: the next try then ends in
        // INVALID_PHONE_CODE, which asks the user for a new tap, as the failure itself would.
        if (attempt < this.#retry.attempts && isTransient(err)) {
          await this.#pause('login', attempt, err);
          attempt++;
          continue;
        }
        throw err;
      }
    }
  }

  /** `send` with the access token; a 401 gets one renewal and one more send. Non-2xx rejects. */
  async #authorized<T>(send: (token: string | undefined) => Promise<AuthResponse>): Promise<AuthResponse<T>> {
    const token = await this.#accessToken();
    let res = await send(token);
    if (res.statusCode === 401) {
      await this.#renew(token, answerError(res).code);
      res = await send(this.#tokens?.accessToken);
    }
    return this.#checked<T>(res);
  }

  /**
   * `send`, sent once more after a 503 or a network failure when the request may be repeated;
   * one such retry per request() call, whatever renewal happens around it.
   */
  #sentAgainOnce(
    options: AuthRequestOptions,
    send: (token: string | undefined) => Promise<AuthResponse>,
  ): (token: string | undefined) => Promise<AuthResponse> {
    if (!(options.retry ?? isRepeatable(options.method)) || this.#retry.attempts < 2) return send;
    let retried = false;
    return async (token) => {
      for (;;) {
        let failure: AuthError;
        try {
          const res = await send(token);
          if (res.statusCode !== 503 || retried) return res;
          failure = answerError(res);
        } catch (err) {
          if (retried || !isTransient(err)) throw err;
          failure = err;
        }
        retried = true;
        await this.#pause('request', 1, failure);
      }
    };
  }

  /** The wait before retry number `retry`, announced with a `retry` event. */
  async #pause(operation: RetryEvent['operation'], retry: number, error: AuthError): Promise<void> {
    const delayMs = retryDelay(this.#retry, retry, error.retryAfterMs);
    this.#events.emit('retry', { operation, retry, delayMs, error });
    await this.#retry.sleep(delayMs);
  }

  /** The current access token: after a renewal under way, or after a login when none is held. */
  async #accessToken(): Promise<string> {
    const renewing = this.#renewal.running;
    if (renewing) await renewing.catch(() => undefined);
    if (!this.#tokens) await this.login();
    const tokens = this.#tokens as StoredTokens | undefined;
    if (!tokens) throw new AuthError('SESSION_REVOKED', 'The login did not leave a session.');
    return tokens.accessToken;
  }

  /**
   * After a 401 with `stale`: one refresh shared by every request waiting, a new login when the
   * refresh token is no good (or the session was revoked). A request whose token was already
   * replaced just retries.
   */
  #renew(stale: string, code: string): Promise<void> {
    if (this.#tokens && this.#tokens.accessToken !== stale) return Promise.resolve();
    return this.#renewal.run(async () => {
      const refreshToken = this.#tokens?.refreshToken;
      if (refreshToken && code !== 'SESSION_REVOKED') {
        try {
          this.#setTokens(await this.#post<TokenAnswer>('/v1/token/refresh', { refreshToken }));
          return;
        } catch (err) {
          if (!isAuthError(err) || err.statusCode !== 401) throw err;
        }
      }
      // The session is over: a restart must not pick these tokens up again.
      this.#tokens = undefined;
      this.#storage.clearTokens();
      await this.login();
    });
  }

  async #sessionKeyAlive(): Promise<boolean> {
    try {
      await invoke('checkSession', (settle) => this.#wx.checkSession(settle));
      return true;
    } catch {
      return false;
    }
  }

  /** POST /v1/me/userinfo with the current token, no renewal: the caller decides what a 401 means. */
  async #postOpenData(data: UserInfoData): Promise<AuthUser> {
    const res = await this.#send(
      {
        url: '/v1/me/userinfo',
        method: 'POST',
        data: { encryptedData: data.encryptedData, iv: data.iv, rawData: data.rawData, signature: data.signature },
      },
      this.#tokens?.accessToken,
    );
    const { user } = this.#checked<{ user: AuthUser }>(res).data;
    this.#setUser(user);
    return user;
  }

  async #post<T>(path: string, data: Record<string, unknown>): Promise<T> {
    return this.#checked<T>(await this.#send({ url: path, method: 'POST', data }, undefined)).data;
  }

  #send(options: AuthRequestOptions, token: string | undefined): Promise<AuthResponse> {
    const url = /^https?:\/\//.test(options.url) ? options.url : `${this.#baseUrl}${options.url}`;
    const header = withLanguage(options.header, this.#language());
    return send(this.#wx, url, header ? { ...options, header } : options, token, this.#timeoutMs);
  }

  /** What the steps in profile.ts and phone.ts may use. */
  get #session(): Session {
    return {
      avatarField: this.#avatarField,
      cachedUser: () => this.#user,
      me: () => this.me(),
      authorized: (sendIt) => this.#authorized(sendIt),
      send: (options, token) => this.#send(options, token),
      sendFile: (path, file, token) =>
        sendFile(this.#wx, `${this.#baseUrl}${path}`, file, token, this.#timeoutMs, withLanguage({}, this.#language())),
      holdingSessionKey: (fn) => this.#sessionKey.run(fn),
      setUser: (user) => this.#setUser(user),
    };
  }

  #checked<T>(res: AuthResponse): AuthResponse<T> {
    if (!isOk(res)) throw answerError(res);
    return res as AuthResponse<T>;
  }

  #setTokens(answer: TokenAnswer): void {
    this.#tokens = {
      accessToken: answer.accessToken,
      refreshToken: answer.refreshToken,
      expiresAt: Date.now() + answer.expiresIn * 1000,
    };
    this.#storage.writeTokens(this.#tokens);
  }

  #setUser(user: AuthUser): void {
    this.#user = user;
    this.#storage.writeUser(user);
    this.#events.emit('user', user);
  }

  #forget(): void {
    this.#tokens = undefined;
    this.#user = undefined;
    this.#storage.clear();
  }
}

/** The SDK for one mini program; see {@link Auth}. */
export function createAuth(options: AuthOptions): Auth {
  return new Auth(options);
}
