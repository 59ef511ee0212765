import { type AuthError, isAuthError } from './errors.ts';

// Globals of every mini program runtime, declared here so the package needs no lib or typings.
declare function setTimeout(callback: () => void, ms: number): unknown;

/** How `login()` and `request()` try again after a failure a retry can mend. */
export interface RetryOptions {
  /**
   * Attempts of a login, the first included, each with a fresh wx.login code (default 5: up to 4
   * retries). `request()` sends a repeatable request at most twice. 1 turns retries off.
   */
  attempts?: number;
  /** The ceiling of the first wait, ms; it doubles each retry. The wait is random below it (default 200). */
  baseDelayMs?: number;
  /** The cap of one wait, ms, Retry-After included (default 3 000): a person is waiting. */
  maxDelayMs?: number;
  /** The jitter's random source in [0, 1) (default Math.random); tests pin it. */
  random?: () => number;
  /** How a wait is waited (default setTimeout); tests record it instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * 5 attempts: at 15 % of logins failing for a moment (WeChat's -1, dropped connections), 4 retries
 * leave about 6 in 100 000 failing; 3 would leave 44. Waits below 0.2, 0.4, 0.8, 1.6 s.
 */
export const DEFAULT_RETRY: Readonly<Required<Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs'>>> =
  Object.freeze({ attempts: 5, baseDelayMs: 200, maxDelayMs: 3000 });

/** No retries: `createAuth({retry: false})`. */
const NO_RETRY: RetryOptions = { attempts: 1 };

/** The options completed with the defaults; a number out of range is the caller's mistake (TypeError). */
export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  const given = options === false ? NO_RETRY : (options ?? {});
  const policy: RetryPolicy = {
    attempts: given.attempts ?? DEFAULT_RETRY.attempts,
    baseDelayMs: given.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: given.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    random: given.random ?? Math.random,
    sleep: given.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
  };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new TypeError('createAuth: retry.attempts must be a whole number ≥ 1 (1: no retries)');
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    const ms = policy[name];
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`createAuth: retry.${name} must be a number of ms ≥ 0`);
    }
  }
  return policy;
}

/**
 * A failure that may be gone a moment later: any 503 (WECHAT_UNAVAILABLE, DATABASE_UNAVAILABLE,
 * CACHE_UNAVAILABLE, SHUTTING_DOWN… or a proxy's), and a request that got no answer. Never a 4xx:
 * the same request would get the same answer. Nor another 5xx: a bug or a misconfiguration stays.
 */
export function isTransient(err: unknown): err is AuthError {
  return isAuthError(err) && (err.statusCode === 503 || err.code === 'NETWORK_ERROR');
}

/** Methods a second send cannot make worse (RFC 9110 §9.2.2); POST and PATCH only when the caller says so. */
const REPEATABLE: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export function isRepeatable(method: string | undefined): boolean {
  return REPEATABLE.has((method ?? 'GET').toUpperCase());
}

/**
 * The wait before retry number `retry` (1 for the first): "full jitter" — random below
 * min(maxDelayMs, baseDelayMs·2^(retry-1)), so phones that failed together do not come back
 * together. A Retry-After is waited in full, the jitter on top, all capped at maxDelayMs.
 */
export function retryDelay(
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
  retry: number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jitter = Math.floor(policy.random() * ceiling);
  return Math.min(policy.maxDelayMs, (retryAfterMs ?? 0) + jitter);
}

/**
 * The Retry-After of an answer, ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Header names
 * come from wx.request as the server sent them, so they are matched whatever their case.
 */
export function retryAfterMs(
  header: Record<string, unknown> | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!header) return undefined;
  const name = Object.keys(header).find((key) => key.toLowerCase() === 'retry-after');
  const value = name === undefined ? undefined : header[name];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // A date names its month and day; without letters ("1.5") it is no Retry-After at all.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
