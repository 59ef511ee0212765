import { WeChatApiError, WeChatTransportError } from './errors.ts';

export interface RetryOptions {
  /** Total attempts for a repeatable call, first one included. Default 3. */
  attempts: number;
  /** Delay before the first retry; doubles each time, with jitter. Default 100 ms. */
  baseDelayMs: number;
  /** Cap on a single delay. Default 2000 ms. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 100, maxDelayMs: 2000 };

/**
 * How safe it is to send a call again:
 * - `never`: it spends a single-use code (code2Session, getPhoneNumber); a second send after the
 *   first was processed fails with "code been used" and hides the real outcome.
 * - `unsent`: it changes state (resetusersessionkey, forced stable token); repeat only when WeChat
 *   said -1 or the request certainly never left.
 * - `repeatable`: reads, or issuing that is harmless to repeat (token fetches, checks).
 */
export type RetryMode = 'never' | 'unsent' | 'repeatable';

export function shouldRetry(mode: RetryMode, err: unknown): boolean {
  if (mode === 'never') return false;
  if (err instanceof WeChatApiError) return err.isBusy;
  if (!(err instanceof WeChatTransportError)) return false;
  if (mode === 'unsent') return !err.requestSent;
  switch (err.kind) {
    case 'timeout':
    case 'network':
      return true;
    case 'http_status':
      return err.status !== undefined && err.status >= 500;
    case 'invalid_body':
      // A body we cannot read will not read better the second time.
      return false;
  }
}

/** Exponential backoff with jitter, so instances that failed together do not retry together. */
export function backoffDelay(options: RetryOptions, failedAttempt: number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}
