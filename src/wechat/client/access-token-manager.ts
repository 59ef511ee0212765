import { setTimeout as sleep } from 'node:timers/promises';
import { WeChatApiError, WeChatTransportError } from './errors.ts';
import type { AppCredentials, StableAccessTokenInput } from './inputs.ts';
import { silentLogger, type WeChatLogger } from './logger.ts';
import { MemoryAccessTokenStore } from './memory-token-store.ts';
import type { AccessTokenResult } from './responses.ts';
import type { AccessTokenStore, StoredAccessToken } from './token-store.ts';

/** The two WeChat calls the manager needs; WeChatClient is one. */
export interface AccessTokenSource {
  getAccessToken(input: AppCredentials): Promise<AccessTokenResult>;
  getStableAccessToken(input: StableAccessTokenInput): Promise<AccessTokenResult>;
}

/** appid → secret, as a plain object or a lookup (which may be async). */
export type SecretLookup =
  | Readonly<Record<string, string>>
  | ((appid: string) => string | undefined | Promise<string | undefined>);

export interface AccessTokenManagerOptions {
  client: AccessTokenSource;
  secrets: SecretLookup;
  /** Shared by all instances of the server. Default: a MemoryAccessTokenStore (one instance only). */
  store?: AccessTokenStore;
  /**
   * `stable` (default): /cgi-bin/stable_token, which hands every caller the same token and never
   * invalidates one behind another system's back. `token`: /cgi-bin/token, where each fetch retires
   * the previous token.
   */
  endpoint?: 'stable' | 'token';
  /** Fetch a new token this long before the current one expires (capped at half its lifetime). Default 5 min. */
  refreshMarginMs?: number;
  /** How long an instance may hold the fetch lock; longer than a fetch with all its retries. Default 20 s. */
  lockTtlMs?: number;
  /** How long to wait for another instance's fetch before fetching anyway. Default 25 s. */
  lockWaitMs?: number;
  /** How often a waiting instance looks at the store again. Default 50 ms. */
  lockPollMs?: number;
  /** Epoch ms; tests move it to cross the refresh margin. Give the memory store the same clock. */
  now?: () => number;
  logger?: WeChatLogger;
}

/** WeChat ignores forced stable-token refreshes closer together than this. */
export const FORCE_REFRESH_SPACING_MS = 30_000;

const fetchLockKey = (appid: string) => `wechat:access-token:fetch-lock:${appid}`;
const forceRefreshSlotKey = (appid: string) => `wechat:access-token:force-refresh:${appid}`;

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}

/**
 * Access tokens per appid: cached in the store, fetched once per validity window however many
 * requests and instances ask (an in-process single flight, then a store lock across instances),
 * refreshed before expiry, and refreshed once when WeChat rejects one (40001/42001).
 */
export class AccessTokenManager {
  readonly #client: AccessTokenSource;
  readonly #secrets: SecretLookup;
  readonly #store: AccessTokenStore;
  readonly #endpoint: 'stable' | 'token';
  readonly #marginMs: number;
  readonly #lockTtlMs: number;
  readonly #lockWaitMs: number;
  readonly #lockPollMs: number;
  readonly #now: () => number;
  readonly #logger: WeChatLogger;
  /** In-process single flight: one refresh per appid (and per rejected token) at a time. */
  readonly #flights = new Map<string, Promise<StoredAccessToken>>();
  /** Strictly increasing issuedAt: the in-process half of the sequence guard. */
  #lastIssuedAt = 0;

  constructor(options: AccessTokenManagerOptions) {
    if (!options?.client) throw new TypeError('client is required');
    if (!options.secrets) throw new TypeError('secrets is required');
    this.#client = options.client;
    this.#secrets = options.secrets;
    this.#now = options.now ?? Date.now;
    this.#store = options.store ?? new MemoryAccessTokenStore({ now: this.#now });
    this.#endpoint = options.endpoint ?? 'stable';
    if (this.#endpoint !== 'stable' && this.#endpoint !== 'token')
      throw new TypeError("endpoint must be 'stable' or 'token'");
    this.#marginMs = nonNegative(options.refreshMarginMs, 5 * 60_000, 'refreshMarginMs');
    this.#lockTtlMs = nonNegative(options.lockTtlMs, 20_000, 'lockTtlMs');
    this.#lockWaitMs = nonNegative(options.lockWaitMs, 25_000, 'lockWaitMs');
    this.#lockPollMs = nonNegative(options.lockPollMs, 50, 'lockPollMs');
    this.#logger = options.logger ?? silentLogger;
  }

  /** A valid access token for `appid`, from the store when it is not due for refresh. */
  async getAccessToken(appid: string): Promise<string> {
    return (await this.#token(appid, undefined)).accessToken;
  }

  /**
   * Runs `fn` with a token. If WeChat rejects it (40001, 40014, 42001), refreshes once and runs
   * `fn` one more time; a second rejection is thrown. Rejection is checked before a phone code is
   * spent, so this is safe around getPhoneNumber.
   */
  async withAccessToken<T>(appid: string, fn: (accessToken: string) => Promise<T>): Promise<T> {
    const token = await this.getAccessToken(appid);
    try {
      return await fn(token);
    } catch (err) {
      if (!(err instanceof WeChatApiError && err.isTokenInvalid)) throw err;
      this.#logger.warn(
        { appid, api: err.api, errcode: err.errcode, rid: err.rid },
        'WeChat rejected the access token',
      );
      const fresh = await this.invalidate(appid, token);
      // WeChat still hands out the token it rejects and will not force a new one yet: do not loop.
      if (fresh === token) throw err;
      return fn(fresh);
    }
  }

  /**
   * Replaces `rejectedToken`, which WeChat refused, and resolves the replacement. When the stable
   * endpoint still returns the rejected token, forces a refresh, at most once per 30 s across
   * instances; inside that window it resolves `rejectedToken` itself.
   */
  async invalidate(appid: string, rejectedToken: string): Promise<string> {
    if (typeof rejectedToken !== 'string' || rejectedToken === '') throw new TypeError('rejectedToken is required');
    return (await this.#token(appid, rejectedToken)).accessToken;
  }

  async #token(appid: string, rejected: string | undefined): Promise<StoredAccessToken> {
    if (typeof appid !== 'string' || appid === '') throw new TypeError('appid must be a non-empty string');
    const cached = await this.#store.get(appid);
    if (cached && this.#usable(cached, rejected)) return cached;
    try {
      return await this.#refresh(appid, rejected);
    } catch (err) {
      // The refresh failed but the cached token has not expired yet: a request served beats a 5xx.
      if (cached && cached.accessToken !== rejected && cached.expiresAt > this.#now()) {
        this.#logger.warn({ appid, error: errorName(err) }, 'access token refresh failed; using the current token');
        return cached;
      }
      throw err;
    }
  }

  /** Not rejected and not yet in its refresh margin (at most half its lifetime, so short tokens are used). */
  #usable(token: StoredAccessToken, rejected: string | undefined): boolean {
    if (token.accessToken === rejected) return false;
    const margin = Math.min(this.#marginMs, (token.expiresAt - token.issuedAt) / 2);
    return this.#now() < token.expiresAt - margin;
  }

  #refresh(appid: string, rejected: string | undefined): Promise<StoredAccessToken> {
    const key = rejected === undefined ? appid : `${appid}\n${rejected}`;
    let flight = this.#flights.get(key);
    if (!flight) {
      flight = this.#refreshOnce(appid, rejected).finally(() => this.#flights.delete(key));
      this.#flights.set(key, flight);
    }
    return flight;
  }

  /** Across instances: the lock holder fetches; the others wait and read what it stored. */
  async #refreshOnce(appid: string, rejected: string | undefined): Promise<StoredAccessToken> {
    const lockKey = fetchLockKey(appid);
    const deadline = performance.now() + this.#lockWaitMs;
    for (;;) {
      const owner = await this.#store.acquireLock(lockKey, this.#lockTtlMs);
      if (owner !== undefined) {
        try {
          // Another instance may have stored a fresh token while this one waited for the lock.
          const current = await this.#store.get(appid);
          if (current && this.#usable(current, rejected)) return current;
          return await this.#fetch(appid, rejected, current);
        } finally {
          await this.#store.releaseLock(lockKey, owner).catch((err: unknown) => {
            this.#logger.warn({ appid, error: errorName(err) }, 'could not release the access token lock');
          });
        }
      }
      await sleep(this.#lockPollMs);
      const current = await this.#store.get(appid);
      if (current && this.#usable(current, rejected)) return current;
      if (performance.now() >= deadline) {
        // The holder is slow or gone; a second fetch is better than failing (the sequence guard keeps the newest).
        this.#logger.warn({ appid, waitedMs: this.#lockWaitMs }, 'gave up waiting for the access token lock');
        return this.#fetch(appid, rejected, current);
      }
    }
  }

  async #fetch(
    appid: string,
    rejected: string | undefined,
    current: StoredAccessToken | undefined,
  ): Promise<StoredAccessToken> {
    const secret = await this.#secret(appid);
    let issuedAt = this.#nextIssuedAt();
    let answer =
      this.#endpoint === 'stable'
        ? await this.#client.getStableAccessToken({ appid, secret })
        : await this.#client.getAccessToken({ appid, secret });

    if (rejected !== undefined && answer.accessToken === rejected && this.#endpoint === 'stable') {
      // WeChat rejects a token its stable endpoint still hands out (e.g. another system forced a
      // refresh): only force_refresh replaces it, and WeChat ignores forced refreshes < 30 s apart.
      const slot = await this.#store.acquireLock(forceRefreshSlotKey(appid), FORCE_REFRESH_SPACING_MS);
      if (slot === undefined) {
        this.#logger.warn({ appid }, 'access token rejected, but a forced refresh ran less than 30 s ago');
        return { accessToken: rejected, expiresAt: issuedAt + answer.expiresIn * 1000, issuedAt };
      }
      issuedAt = this.#nextIssuedAt();
      answer = await this.#client.getStableAccessToken({ appid, secret, forceRefresh: true });
    }

    const token: StoredAccessToken = {
      accessToken: answer.accessToken,
      // Counted from when the request left, so the token is retired slightly early rather than late.
      expiresAt: issuedAt + answer.expiresIn * 1000,
      issuedAt,
    };
    if (await this.#store.set(appid, token)) {
      const reason = rejected !== undefined ? 'rejected' : current ? 'expiring' : 'missing';
      this.#logger.info(
        { appid, endpoint: this.#endpoint, reason, expiresIn: answer.expiresIn },
        'fetched a WeChat access token',
      );
      return token;
    }
    // A newer token reached the store first (the sequence guard refused ours): use that one.
    return (await this.#store.get(appid)) ?? token;
  }

  async #secret(appid: string): Promise<string> {
    const lookup = this.#secrets;
    const secret =
      typeof lookup === 'function' ? await lookup(appid) : Object.hasOwn(lookup, appid) ? lookup[appid] : undefined;
    if (typeof secret !== 'string' || secret === '') {
      throw new TypeError(
        `no secret is configured for appid ${appid}; check the appid against the configuration first`,
      );
    }
    return secret;
  }

  #nextIssuedAt(): number {
    this.#lastIssuedAt = Math.max(this.#now(), this.#lastIssuedAt + 1);
    return this.#lastIssuedAt;
  }
}

/** For logs: what kind of error, without a message that could quote anything sensitive. */
function errorName(err: unknown): string {
  if (err instanceof WeChatApiError) return `${err.name} ${err.errcode}`;
  if (err instanceof WeChatTransportError) return `${err.name} ${err.kind}`;
  if (err instanceof Error) return err.name;
  return typeof err;
}
