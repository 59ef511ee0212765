import type { Cache } from '../../cache/index.ts';
import { COLLECT_GRACE_MS, type Ticket } from './ticket.ts';

const KEY = 'qr-login:';
/** Concurrent transitions of one ticket are rare (two taps, two tabs); a few rounds settle them. */
const MAX_ROUNDS = 8;

/**
 * Tickets in the cache: in this process, or in Redis shared by every instance. A transition is a
 * read, a decision and a compare-and-set of the whole ticket (a Lua script in Redis), retried
 * when another instance changed it in between, so no two transitions of one ticket interleave.
 * Redis away: CacheError UNAVAILABLE, answered 503 CACHE_UNAVAILABLE (no fallback: a ticket in
 * one instance's memory could not be confirmed on another).
 */
export class TicketStore {
  readonly #cache: Cache;

  constructor(cache: Cache) {
    this.#cache = cache;
  }

  async create(ticket: Ticket, now: number): Promise<void> {
    const ttl = keyTtl(ticket, now);
    await this.#cache.set(`${KEY}scene:${ticket.scene}`, ticket.id, ttl);
    await this.#cache.set(`${KEY}ticket:${ticket.id}`, JSON.stringify(ticket), ttl);
  }

  async get(id: string): Promise<Ticket | undefined> {
    const raw = await this.#cache.get(`${KEY}ticket:${id}`);
    return raw === undefined ? undefined : (JSON.parse(raw) as Ticket);
  }

  async idOfScene(scene: string): Promise<string | undefined> {
    return this.#cache.get(`${KEY}scene:${scene}`);
  }

  /**
   * Applies `decide` atomically: it sees the current ticket and returns the next one, or
   * undefined to leave it as it is (an error it throws propagates). Resolves with the ticket as
   * stored after the call and whether this call changed it.
   */
  async update(
    id: string,
    now: number,
    decide: (ticket: Ticket) => Ticket | undefined,
  ): Promise<{ ticket: Ticket; changed: boolean } | undefined> {
    const key = `${KEY}ticket:${id}`;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const raw = await this.#cache.get(key);
      if (raw === undefined) return undefined;
      const next = decide(JSON.parse(raw) as Ticket);
      if (next === undefined) return { ticket: JSON.parse(raw) as Ticket, changed: false };
      if (await this.#cache.compareAndSet(key, raw, JSON.stringify(next), keyTtl(next, now))) {
        return { ticket: next, changed: true };
      }
    }
    throw new Error(`ticket ${id.slice(0, 6)}… kept changing under ${MAX_ROUNDS} attempts`);
  }

  /**
   * Counts one more code drawn for `appid` and answers whether the app stays within its limits:
   * `perMinute` codes a minute (WeChat's quota), and `outstanding` tickets alive at once. The
   * latter is bounded by the tickets created in this lifetime-long window and the one before,
   * since no ticket outlives two windows: a cheap upper bound, shared by every instance.
   */
  async withinLimits(
    appid: string,
    now: number,
    limits: { perMinute: number; outstanding: number; ttlMs: number },
  ): Promise<boolean> {
    const minute = Math.floor(now / 60_000);
    if ((await this.#cache.incr(`${KEY}codes:${appid}:${minute}`, 60_000)) > limits.perMinute) return false;
    const window = Math.floor(now / limits.ttlMs);
    const current = await this.#cache.incr(`${KEY}created:${appid}:${window}`, 2 * limits.ttlMs);
    const previous = Number((await this.#cache.get(`${KEY}created:${appid}:${window - 1}`)) ?? 0);
    return current + previous <= limits.outstanding;
  }
}

/** Kept until the ticket could no longer be collected, then the cache forgets it by itself. */
function keyTtl(ticket: Ticket, now: number): number {
  const until = ticket.status === 'confirmed' ? Math.max(ticket.expiresAt, now) : ticket.expiresAt;
  return Math.max(1000, until + COLLECT_GRACE_MS - now);
}
