import { performance } from 'node:perf_hooks';
import type { Invalidation, InvalidationBus } from '../tokens/live-sessions.ts';

/**
 * Invalidations for a single database file (SQLite): what this process changes it announces to
 * itself, and what any other process — another instance or worker on the same file, the CLI —
 * commits moves the file's data_version, which empties the cache before the next cached read.
 * Nothing can be missed, so the feed is always whole. Reading data_version opens a read
 * transaction (shared-memory locks: a tenth of a cached request's CPU), so one reading serves
 * the reads of the next millisecond: another process's write is seen within 1 ms, or 2 ms when
 * the server writes on a thread of its own, whose look at the file may be a millisecond old
 * (./../store/sqlite-writer-thread.ts); until that thread has looked, nothing cached is trusted.
 */
export class LocalInvalidationBus implements InvalidationBus {
  readonly #listeners: ((event: Invalidation) => void)[] = [];
  readonly #dataVersion: (() => number | undefined) | undefined;
  readonly #recheckMs: number;
  #seen: number | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;

  constructor(dataVersion?: () => number | undefined, options: { recheckMs?: number } = {}) {
    this.#dataVersion = dataVersion;
    this.#recheckMs = options.recheckMs ?? 1;
    this.#seen = dataVersion?.();
  }

  healthy(): boolean {
    if (!this.#dataVersion) return true;
    const now = performance.now();
    if (now - this.#checkedAt < this.#recheckMs) return true;
    this.#checkedAt = now;
    let version: number | undefined;
    try {
      version = this.#dataVersion();
    } catch {
      return false;
    }
    if (version === undefined) {
      // Not known yet (the writer thread was asked, ./../store/sqlite-writer-thread.ts): not
      // trusted until it is, and the next call looks again.
      this.#checkedAt = Number.NEGATIVE_INFINITY;
      return false;
    }
    if (version !== this.#seen) {
      this.#seen = version;
      this.#deliver({ kind: 'all' });
    }
    return true;
  }

  async publish(event: Invalidation): Promise<void> {
    this.#deliver(event);
  }

  subscribe(listener: (event: Invalidation) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {}

  #deliver(event: Invalidation): void {
    for (const listener of this.#listeners) listener(event);
  }
}
