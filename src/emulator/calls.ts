/** The WeChat-side APIs the emulator serves, named after the last segment of their path. */
export const WECHAT_APIS = [
  'jscode2session',
  'token',
  'stable_token',
  'getuserphonenumber',
  'checksession',
  'resetusersessionkey',
  'msg_sec_check',
  'media_check_async',
  'getuserriskrank',
  'getwxacodeunlimit',
] as const;

export type WechatApi = (typeof WECHAT_APIS)[number];

export function isWechatApi(value: unknown): value is WechatApi {
  return (WECHAT_APIS as readonly unknown[]).includes(value);
}

/**
 * One WeChat-side call as a dev UI shows it. Carries no secret, session_key, code or token: only
 * which API, for which app and user, and how it ended.
 */
export interface CallEvent {
  api: WechatApi;
  /** The app named by the request (query, body or access token); absent when it named none. */
  appid?: string;
  /** The emulator user the call concerned, when the request identified one. */
  user?: string;
  /** 0 on success; absent when the connection was dropped or left hanging by a fault. */
  errcode?: number;
  outcome: 'answered' | 'dropped' | 'timeout';
  /** Whether a fault rule decided or delayed the answer. */
  faulted: boolean;
  /** Emulator clock time the call arrived (ms). */
  at: number;
  /** Real time spent answering, fault latency included. */
  durationMs: number;
}

/** Calls per app per API; calls that named no app are under "-". */
export type CallCounts = Record<string, Partial<Record<WechatApi, number>>>;

const RECENT = 200;
export const NO_APP = '-';

export class CallLog {
  #counts: CallCounts = {};
  #recent: CallEvent[] = [];
  readonly #listeners = new Set<(event: CallEvent) => void>();

  /** Counted on arrival, so calls that a fault then drops are counted too. */
  count(api: WechatApi, appid: string | undefined): void {
    const key = appid ?? NO_APP;
    const perApp = this.#counts[key] ?? {};
    perApp[api] = (perApp[api] ?? 0) + 1;
    this.#counts[key] = perApp;
  }

  record(event: CallEvent): void {
    this.#recent.push(event);
    if (this.#recent.length > RECENT) this.#recent.shift();
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken dev UI listener must not change what the backend under test receives.
      }
    }
  }

  listen(listener: (event: CallEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  counts(appid?: string): CallCounts {
    const all = structuredClone(this.#counts);
    if (appid === undefined) return all;
    return { [appid]: all[appid] ?? {} };
  }

  recent(appid?: string): CallEvent[] {
    return this.#recent.filter((e) => appid === undefined || e.appid === appid).map((e) => ({ ...e }));
  }

  clear(): void {
    this.#counts = {};
    this.#recent = [];
  }
}
