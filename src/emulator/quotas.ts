const MINUTE = 60_000;
const DAY = 24 * 3600_000;
// WeChat's daily quotas roll over at midnight Beijing time (UTC+8).
const BEIJING = 8 * 3600_000;

export type Window = 'minute' | 'day';

function windowOf(window: Window, now: number): number {
  return window === 'minute' ? Math.floor(now / MINUTE) : Math.floor((now + BEIJING) / DAY);
}

/** Fixed-window call counters, as WeChat's quotas behave ("retry next minute", "daily quota"). */
export class Quotas {
  readonly #used = new Map<string, { window: number; count: number }>();

  /**
   * Counts one call against `key` and says whether it fits in `limit` for the current window.
   * A refused call is not counted, so the caller can retry once the window turns.
   */
  take(key: string, window: Window, limit: number, now: number): boolean {
    const id = `${window}\0${key}`;
    const current = windowOf(window, now);
    const entry = this.#used.get(id);
    const count = entry?.window === current ? entry.count : 0;
    if (count >= limit) return false;
    this.#used.set(id, { window: current, count: count + 1 });
    return true;
  }

  clear(): void {
    this.#used.clear();
  }
}
