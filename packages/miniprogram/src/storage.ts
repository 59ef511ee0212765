import type { AuthUser, StoredTokens } from './types.ts';
import type { WxApi } from './wx-api.ts';

function isTokens(value: unknown): value is StoredTokens {
  const v = value as Partial<StoredTokens> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.accessToken === 'string' &&
    typeof v.refreshToken === 'string' &&
    typeof v.expiresAt === 'number'
  );
}

function isUser(value: unknown): value is AuthUser {
  const v = value as Partial<AuthUser> | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string';
}

/**
 * Tokens and the cached profile in wx storage, under `weapp-auth:<appid>:…` so several apps or
 * SDK instances sharing one storage never read each other's session.
 */
export class SessionStorage {
  readonly #wx: WxApi;
  readonly #prefix: string;

  constructor(wx: WxApi, namespace: string) {
    this.#wx = wx;
    this.#prefix = `weapp-auth:${namespace}:`;
  }

  get tokensKey(): string {
    return `${this.#prefix}tokens`;
  }

  get userKey(): string {
    return `${this.#prefix}user`;
  }

  readTokens(): StoredTokens | undefined {
    const value = this.#read(this.tokensKey);
    return isTokens(value) ? value : undefined;
  }

  readUser(): AuthUser | undefined {
    const value = this.#read(this.userKey);
    return isUser(value) ? value : undefined;
  }

  writeTokens(tokens: StoredTokens): void {
    this.#write(this.tokensKey, tokens);
  }

  writeUser(user: AuthUser): void {
    this.#write(this.userKey, user);
  }

  /** The session is over; the cached profile may still be shown until the next login. */
  clearTokens(): void {
    this.#remove(this.tokensKey);
  }

  clear(): void {
    this.#remove(this.tokensKey);
    this.#remove(this.userKey);
  }

  #remove(key: string): void {
    try {
      this.#wx.removeStorageSync(key);
    } catch {
      // Nothing stored, or storage unavailable: either way nothing is left to remove.
    }
  }

  #read(key: string): unknown {
    try {
      // A missing key reads as "" on WeChat; anything malformed counts as absent.
      return this.#wx.getStorageSync(key);
    } catch {
      return undefined;
    }
  }

  #write(key: string, value: unknown): void {
    try {
      this.#wx.setStorageSync(key, value);
    } catch {
      // Storage full (10 MB per mini program) or unavailable: the session still works in memory,
      // it just will not survive a restart.
    }
  }
}
