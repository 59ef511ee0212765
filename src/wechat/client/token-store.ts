/** An access token as the store keeps it. Times are epoch milliseconds. */
export interface StoredAccessToken {
  accessToken: string;
  /** When WeChat stops accepting it. */
  expiresAt: number;
  /**
   * When the fetch that produced it started. Orders answers: a later fetch's token is newer, and
   * an older answer that arrives late must not replace it.
   */
  issuedAt: number;
}

/**
 * Where AccessTokenManager keeps tokens and takes its fetch lock: shared by every instance of the
 * server, so all of them together fetch once per validity window. In-process by default; a Redis
 * implementation plugs in behind the same contract (test/wechat/client/token-store-contract.ts).
 */
export interface AccessTokenStore {
  /** The token for `appid`, or undefined when there is none or it has expired. */
  get(appid: string): Promise<StoredAccessToken | undefined>;

  /**
   * Stores `token` unless the store holds one with the same or a later `issuedAt` (the sequence
   * guard), or `token` has already expired. Resolves true when it was stored. The entry must
   * disappear by itself at `expiresAt`.
   */
  set(appid: string, token: StoredAccessToken): Promise<boolean>;

  /**
   * Takes the lock `key` for `ttlMs` unless someone holds it. Resolves a unique owner string to
   * release it with, or undefined when it is taken. An unreleased lock frees itself after `ttlMs`,
   * so a crashed holder cannot block the others for long.
   */
  acquireLock(key: string, ttlMs: number): Promise<string | undefined>;

  /** Releases `key` if `owner` still holds it; a lock that expired and was retaken is left alone. */
  releaseLock(key: string, owner: string): Promise<void>;
}
