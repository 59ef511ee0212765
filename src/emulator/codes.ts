/** A wx.login code and a phone code both live 5 minutes and are good for one exchange. */
export const CODE_TTL_MS = 5 * 60_000;
// Spent and expired codes are kept this long so a late reuse still answers "used" rather than "unknown".
const KEEP_MS = 24 * 3600_000;

interface Entry<T> {
  value: T;
  issuedAt: number;
  usedAt?: number;
}

export type Redeemed<T> =
  | { status: 'ok'; value: T; issuedAt: number }
  | { status: 'unknown' }
  | { status: 'expired'; value: T }
  | { status: 'used'; value: T };

/** One-time codes bound to whatever `T` says (app and user). */
export class CodeBook<T> {
  readonly #codes = new Map<string, Entry<T>>();

  issue(code: string, value: T, now: number): void {
    this.#prune(now);
    this.#codes.set(code, { value, issuedAt: now });
  }

  /** Looks a code up without spending it. */
  peek(code: string, now: number): Redeemed<T> {
    const entry = this.#codes.get(code);
    if (!entry) return { status: 'unknown' };
    if (entry.usedAt !== undefined) return { status: 'used', value: entry.value };
    if (now >= entry.issuedAt + CODE_TTL_MS) return { status: 'expired', value: entry.value };
    return { status: 'ok', value: entry.value, issuedAt: entry.issuedAt };
  }

  /** Marks a code as spent; only call after peek said ok and every other check passed. */
  spend(code: string, now: number): void {
    const entry = this.#codes.get(code);
    if (entry) entry.usedAt = now;
  }

  /** Forgets the codes whose owner matches, so they answer as unknown: an authorization withdrawn. */
  revokeWhere(match: (value: T) => boolean): void {
    for (const [code, entry] of this.#codes) if (match(entry.value)) this.#codes.delete(code);
  }

  clear(): void {
    this.#codes.clear();
  }

  #prune(now: number): void {
    // Insertion order is issue order (the clock only moves forward): stop at the first one to keep.
    for (const [code, entry] of this.#codes) {
      if (now - entry.issuedAt <= KEEP_MS) return;
      this.#codes.delete(code);
    }
  }
}
