import { WxFail } from './convention.ts';
import type { SimulatedUser } from './simulated-user.ts';
import type { PhoneStorage } from './storage.ts';

/**
 * Data types of WeChat's privacy guide (《小程序用户隐私保护指引》, wechat-api.md §20.3); the third-party
 * `privacy_key` names. Those the stand-in gates: UserInfo and PhoneNumber.
 */
export type PrivacyType =
  | 'UserInfo'
  | 'PhoneNumber'
  | 'Location'
  | 'Address'
  | 'Album'
  | 'AlbumWriteOnly'
  | 'MessageFile'
  | (string & {});

export interface PrivacyOptions {
  /**
   * The types the app declared in its guide. Consent is needed while the user has not agreed to
   * all of them; an API whose type is missing fails errno 112.
   */
  declared: PrivacyType[];
  /** What wx.getPrivacySetting names the guide. */
  contractName?: string;
}

/** The type each gated API or component collects. */
const GATED: Record<string, PrivacyType> = {
  getUserInfo: 'UserInfo',
  getUserProfile: 'UserInfo',
  chooseAvatar: 'UserInfo',
  getPhoneNumber: 'PhoneNumber',
  getRealtimePhoneNumber: 'PhoneNumber',
};

/** After a refusal of WeChat's own popup, privacy calls fail at once for this long (§20.2). */
const REFUSAL_WINDOW_MS = 10_000;

type Resolution = { event: 'agree'; buttonId?: string } | { event: 'disagree' } | { event: 'exposureAuthorization' };
type Listener = (resolve: (resolution: Resolution) => void, eventInfo: { referrer: string }) => void;

/** One step of the consent flow, for the trace and for tests. */
export type PrivacyEvent =
  | { kind: 'needed'; referrer: string; popup: 'app' | 'official' }
  | { kind: 'exposed'; referrer: string }
  | { kind: 'agree-button'; buttonId: string }
  | { kind: 'agreed'; referrer: string; by: 'app' | 'official' }
  | { kind: 'refused'; referrer: string; by: 'app' | 'official' | 'window'; errno: number }
  | { kind: 'undeclared'; api: string; type: PrivacyType };

const NOT_AUTHORIZED = 'privacy permission is not authorized';

/**
 * WeChat's privacy consent on one phone (§20.5): per app the declared types, the types the user
 * agreed to (kept in the phone's storage), the listener of wx.onNeedPrivacyAuthorization and the
 * agree buttons tapped. Without options the app declared nothing: no API is gated.
 */
export class PrivacyModel {
  readonly #options: PrivacyOptions | undefined;
  readonly #phone: PhoneStorage;
  readonly #user: SimulatedUser;
  readonly #now: () => number;
  readonly #emit: (event: PrivacyEvent) => void;
  readonly #tapped = new Set<string>();
  #listener: Listener | undefined;
  #refusedAt = Number.NEGATIVE_INFINITY;

  constructor(
    options: PrivacyOptions | undefined,
    phone: PhoneStorage,
    user: SimulatedUser,
    emit: (event: PrivacyEvent) => void,
    now: () => number = Date.now,
  ) {
    this.#options = options;
    this.#phone = phone;
    this.#user = user;
    this.#emit = emit;
    this.#now = now;
  }

  /** wx.getPrivacySetting. */
  setting(): { needAuthorization: boolean; privacyContractName: string } {
    const name = this.#options?.contractName ?? '《小程序隐私保护指引》';
    return { needAuthorization: this.#missing().length > 0, privacyContractName: name };
  }

  /** wx.onNeedPrivacyAuthorization: the last registration wins. */
  listen(listener: Listener): void {
    this.#listener = listener;
  }

  /** The user taps `<button open-type="agreePrivacyAuthorization" id>`: agreement to every declared type. */
  tapAgree(buttonId: string): void {
    this.#tapped.add(buttonId);
    this.#agree();
    this.#emit({ kind: 'agree-button', buttonId });
  }

  /**
   * Before a gated API runs: fails errno 112 when its type is not declared; passes when agreed;
   * otherwise runs the consent flow — the app's listener (pending until it resolves) or WeChat's
   * own popup, answered by the simulated user. `api` undefined: wx.requirePrivacyAuthorize (all types).
   */
  async check(api: string | undefined, referrer: string): Promise<void> {
    const name = api ?? 'requirePrivacyAuthorize';
    if (!this.#options) return;
    const type = api === undefined ? undefined : GATED[api];
    if (api !== undefined && type === undefined) return;
    if (type !== undefined && !this.#options.declared.includes(type)) {
      this.#emit({ kind: 'undeclared', api: name, type });
      throw new WxFail(`${name}:fail api scope is not declared in the privacy agreement`, 112);
    }
    if (this.#missing().length === 0) return;
    if (this.#listener) return this.#askApp(this.#listener, name, referrer);
    return this.#askOfficially(name, referrer);
  }

  /**
   * For components that cannot wait (chooseAvatar answers at once): the refusal they answer with
   * when consent is missing, or undefined. Raising no popup is the stand-in's choice; apps ask for
   * consent first (ensurePrivacyConsent), as they must for `<input type="nickname">`.
   */
  refusesAtOnce(api: string): { errMsg: string; errno: number } | undefined {
    const type = GATED[api];
    if (!this.#options || type === undefined) return undefined;
    if (!this.#options.declared.includes(type)) {
      this.#emit({ kind: 'undeclared', api, type });
      return { errMsg: `${api}:fail api scope is not declared in the privacy agreement`, errno: 112 };
    }
    if (this.#missing().length === 0) return undefined;
    this.#emit({ kind: 'refused', referrer: api, by: 'window', errno: 104 });
    return { errMsg: `${api}:fail ${NOT_AUTHORIZED}`, errno: 104 };
  }

  #askApp(listener: Listener, name: string, referrer: string): Promise<void> {
    this.#emit({ kind: 'needed', referrer, popup: 'app' });
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      listener(
        (resolution) => {
          if (settled) return;
          if (resolution?.event === 'exposureAuthorization') {
            this.#emit({ kind: 'exposed', referrer });
            return;
          }
          settled = true;
          if (resolution?.event === 'agree') {
            // Only a tapped agree button counts (the base library checks it); its tap agreed already.
            if (typeof resolution.buttonId === 'string' && this.#tapped.has(resolution.buttonId)) {
              this.#emit({ kind: 'agreed', referrer, by: 'app' });
              resolve();
              return;
            }
            this.#emit({ kind: 'refused', referrer, by: 'app', errno: 104 });
            reject(new WxFail(`${name}:fail ${NOT_AUTHORIZED} or buttonId is wrong`, 104));
            return;
          }
          this.#emit({ kind: 'refused', referrer, by: 'app', errno: 104 });
          reject(new WxFail(`${name}:fail ${NOT_AUTHORIZED}`, 104));
        },
        { referrer },
      );
    });
  }

  async #askOfficially(name: string, referrer: string): Promise<void> {
    if (this.#now() - this.#refusedAt < REFUSAL_WINDOW_MS) {
      this.#emit({ kind: 'refused', referrer, by: 'window', errno: 103 });
      throw new WxFail(`${name}:fail ${NOT_AUTHORIZED}`, 103);
    }
    this.#emit({ kind: 'needed', referrer, popup: 'official' });
    const agreed = await this.#user.authorize({ scope: 'privacy', api: referrer });
    if (agreed) {
      this.#agree();
      this.#emit({ kind: 'agreed', referrer, by: 'official' });
      return;
    }
    this.#refusedAt = this.#now();
    this.#emit({ kind: 'refused', referrer, by: 'official', errno: 103 });
    throw new WxFail(`${name}:fail ${NOT_AUTHORIZED}`, 103);
  }

  #missing(): PrivacyType[] {
    if (!this.#options) return [];
    const agreed = new Set(this.#phone.privacyAgreed());
    return this.#options.declared.filter((type) => !agreed.has(type));
  }

  #agree(): void {
    if (this.#options) this.#phone.savePrivacyAgreed([...this.#options.declared]);
  }
}
