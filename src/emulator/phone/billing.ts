/**
 * WeChat bills phone numbers per successful button callback (wechat-api.md §21): quick
 * verification ¥0.03, real-time ¥0.04, after 1 000 free trial calls per mini program. When the
 * quota is spent the button answers errno 1400001 instead of asking the user.
 */
export type PhoneVerification = 'quick' | 'realtime';

/** WeChat's trial quota per mini program, shared by release, trial and develop versions. */
export const PHONE_TRIAL_QUOTA = 1000;

export interface PhoneUsage {
  appid: string;
  /** Successful callbacks of each button: what WeChat bills, whether or not the code is redeemed. */
  quick: number;
  realtime: number;
  /** Successful callbacks left before errno 1400001 (both buttons draw on it). */
  remaining: number;
}

export class PhoneBilling {
  readonly #usage = new Map<string, PhoneUsage>();

  usage(appid: string): PhoneUsage {
    let usage = this.#usage.get(appid);
    if (!usage) {
      usage = { appid, quick: 0, realtime: 0, remaining: PHONE_TRIAL_QUOTA };
      this.#usage.set(appid, usage);
    }
    return usage;
  }

  /** Tests set what is left (0: the next tap answers 1400001). */
  setRemaining(appid: string, remaining: number): PhoneUsage {
    if (!Number.isInteger(remaining) || remaining < 0) throw new TypeError('remaining must be a whole number ≥ 0');
    const usage = this.usage(appid);
    usage.remaining = remaining;
    return { ...usage };
  }

  /** At the tap, before the user is asked: whether a callback can still be paid for. */
  hasQuota(appid: string): boolean {
    return this.usage(appid).remaining > 0;
  }

  /** The user allowed: one callback billed. */
  charge(appid: string, kind: PhoneVerification): void {
    const usage = this.usage(appid);
    usage[kind] += 1;
    usage.remaining -= 1;
  }

  clear(): void {
    this.#usage.clear();
  }
}
