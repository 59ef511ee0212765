import { invoke } from './invoke.ts';
import type { PrivacyEventInfo, PrivacyListener, PrivacyResolution, WxApi, WxPrivacySetting } from './wx-api.ts';

/**
 * A privacy API or component waits for the user's consent: show your popup, then call `agree`
 * from the `bindagreeprivacyauthorization` handler of `<button open-type="agreePrivacyAuthorization"
 * id="…">` (with that id), or `disagree`. The waiting call goes on, or fails with
 * PRIVACY_NOT_AUTHORIZED.
 */
export interface PrivacyConsentRequest {
  /** What waits: "getPhoneNumber", "chooseAvatar", "getUserProfile", "requirePrivacyAuthorize"… */
  referrer: string | undefined;
  /** The agree button was tapped: its `id`. WeChat refuses an id whose button did not fire. */
  agree(buttonId: string): void;
  /** The user declined: the waiting call fails. */
  disagree(): void;
  /** Tells WeChat the popup is on screen (`exposureAuthorization`), before agree or disagree. */
  shown(): void;
}

export type PrivacyConsentListener = (request: PrivacyConsentRequest) => void;

/**
 * wx.onNeedPrivacyAuthorization keeps one listener (a new one replaces the old), and a page's popup
 * comes and goes: this holds the popups that are listening, and hands each request to the newest.
 * Registered with WeChat on the first listener only, so an app without a popup keeps WeChat's own.
 */
export class PrivacyConsent {
  readonly #wx: WxApi;
  readonly #listeners: PrivacyConsentListener[] = [];
  #registered = false;

  constructor(wx: WxApi) {
    this.#wx = wx;
  }

  /** Adds a popup; returns the function that removes it (call it in the page's onUnload). */
  listen(listener: PrivacyConsentListener): () => void {
    this.#listeners.push(listener);
    this.#register();
    return () => {
      const at = this.#listeners.lastIndexOf(listener);
      if (at >= 0) this.#listeners.splice(at, 1);
    };
  }

  /**
   * Resolves once the user has agreed to the privacy guide (at once when nothing needs agreeing, or
   * on a base library before 2.32.3, which asks for no consent). Otherwise WeChat raises the
   * consent flow (your popup, or WeChat's own without one) and this settles with the user's choice:
   * PRIVACY_NOT_AUTHORIZED when refused, PRIVACY_API_UNDECLARED when the guide lacks the type.
   */
  async ensure(): Promise<void> {
    const wx = this.#wx;
    if (!wx.requirePrivacyAuthorize || !(await this.needed())) return;
    await invoke('requirePrivacyAuthorize', (settle) => wx.requirePrivacyAuthorize?.(settle));
  }

  /**
   * Whether the user still has to agree: false on base libraries without privacy checks, and where
   * getPrivacySetting fails (a framework's H5 build): a privacy API called then still asks itself.
   */
  async needed(): Promise<boolean> {
    const wx = this.#wx;
    if (!wx.getPrivacySetting) return false;
    try {
      const setting = await invoke<WxPrivacySetting>('getPrivacySetting', (s) => wx.getPrivacySetting?.(s));
      return setting.needAuthorization === true;
    } catch {
      return false;
    }
  }

  #register(): void {
    if (this.#registered || !this.#wx.onNeedPrivacyAuthorization) return;
    this.#registered = true;
    const listener: PrivacyListener = (resolve, eventInfo) => this.#dispatch(resolve, eventInfo);
    // The typings of WeChat's wx declare this listener as `(res) => void`; ours is the real one.
    this.#wx.onNeedPrivacyAuthorization(listener as (resolve: unknown, eventInfo?: unknown) => void);
  }

  #dispatch(resolve: (resolution: PrivacyResolution) => void, eventInfo: PrivacyEventInfo | undefined): void {
    const listener = this.#listeners[this.#listeners.length - 1];
    // Registered with WeChat, the listener must resolve; with no popup left, the call is declined.
    if (!listener) {
      resolve({ event: 'disagree' });
      return;
    }
    let settled = false;
    const once = (resolution: PrivacyResolution) => {
      if (settled) return;
      settled = resolution.event === 'exposureAuthorization' ? settled : true;
      resolve(resolution);
    };
    listener({
      referrer: eventInfo?.referrer,
      agree: (buttonId) => {
        if (typeof buttonId !== 'string' || buttonId === '') {
          throw new TypeError('agree(buttonId): the id of the agreePrivacyAuthorization button that was tapped');
        }
        once({ event: 'agree', buttonId });
      },
      disagree: () => once({ event: 'disagree' }),
      shown: () => once({ event: 'exposureAuthorization' }),
    });
  }
}
