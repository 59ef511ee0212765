import type { AuthError } from './errors.ts';
import type { AuthUser, LoginResult } from './types.ts';

// Globals of every mini program runtime, declared here so the package needs no lib or typings.
declare const console: { error(...data: unknown[]): void };

/** A failure about to be retried (see the `retry` option). */
export interface RetryEvent {
  /** `login`: a fresh wx.login code is sent; `request`: the same request again. */
  operation: 'login' | 'request';
  /** 1 for the first retry of this call. */
  retry: number;
  /** The wait before it, ms. */
  delayMs: number;
  /** What failed: a 503's code, or NETWORK_ERROR. */
  error: AuthError;
}

export interface AuthEvents {
  /** A login succeeded (the first, or a transparent re-login after the session ended). */
  login: LoginResult;
  /** logout() ended the session, or deleteAccount() closed the account. */
  logout: { reason: 'logout' | 'account_deleted' };
  /** The cached profile changed. */
  user: AuthUser;
  /** A login or request failed in a way a retry can mend, and is retried after `delayMs`. */
  retry: RetryEvent;
}

export type AuthEventName = keyof AuthEvents;

/** A tiny typed emitter: a throwing listener must not break the login that notified it. */
export class Emitter {
  readonly #listeners = new Map<AuthEventName, Set<(payload: never) => void>>();

  on<E extends AuthEventName>(event: E, listener: (payload: AuthEvents[E]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.#listeners.set(event, set);
    return () => set.delete(listener as (payload: never) => void);
  }

  emit<E extends AuthEventName>(event: E, payload: AuthEvents[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as (payload: AuthEvents[E]) => void)(payload);
      } catch (err) {
        // Reported, not thrown: the SDK's own state is already consistent.
        console.error('weapp-auth: a listener of', event, 'failed', err);
      }
    }
  }
}
