import type { User } from '../store/index.ts';

/** Something cached about sessions may be stale: one session ended, one user changed, or anything. */
export type Invalidation = { kind: 'session'; id: string } | { kind: 'user'; id: string } | { kind: 'all' };

/**
 * How invalidations travel between the instances that cache sessions (src/revocation): Redis
 * pub/sub, PostgreSQL LISTEN/NOTIFY, or this process alone. The cache trusts what it holds only
 * while `healthy()` says every invalidation published anywhere reaches this process.
 */
export interface InvalidationBus {
  /**
   * True while the feed is known to be whole: connected, subscribed, and its own heartbeat came
   * back recently. False from the moment the subscription may have missed something until it is
   * proven again; the bus announces `{ kind: 'all' }` to its listeners when it stops trusting.
   * Called once per cached read, so it must be cheap.
   */
  healthy(): boolean;
  /** Sends an invalidation to every instance. Resolves when the broker accepted it (others get it next). */
  publish(event: Invalidation): Promise<void>;
  /** Invalidations from every instance (this one's included), and `all` when the feed was interrupted. */
  subscribe(listener: (event: Invalidation) => void): void;
  close(): Promise<void>;
}

/** What a live session's check needs: the user, and until when the session is known live. */
export interface LiveSession {
  userId: string;
  user: User;
  /** Epoch ms: the session's refresh token expiry, or the cache's own bound, whichever comes first. */
  liveUntil: number;
}

/** A read started at this epoch may fill the cache only if nothing was invalidated meanwhile. */
export type FillTicket = number;

/**
 * Session liveness and the session's user, in this process, for the authenticated requests that
 * would otherwise ask the database each time. Correct only together with a bus: every change
 * that ends a session or alters a user is published (TokenService.announce), every instance drops
 * what it holds for it, and while the bus cannot vouch for its feed nothing here is used.
 *
 * The fill race is closed by an epoch: a database read that began before an invalidation arrived
 * may have seen the state before the change, so its answer is not kept.
 */
export class LiveSessions {
  readonly #bus: InvalidationBus;
  readonly #capacity: number;
  readonly #maxAgeMs: number;
  readonly #sessions = new Map<string, LiveSession>();
  readonly #byUser = new Map<string, Set<string>>();
  #epoch = 0;

  constructor(bus: InvalidationBus, options: { capacity?: number; maxAgeMs?: number } = {}) {
    this.#bus = bus;
    this.#capacity = options.capacity ?? 10_000;
    this.#maxAgeMs = options.maxAgeMs ?? 30_000;
    bus.subscribe((event) => this.forget(event));
  }

  /** The session's cached state when it is live at `now` and the bus vouches for it. */
  get(sessionId: string, userId: string, now: number): LiveSession | undefined {
    if (this.#sessions.size === 0 || !this.#bus.healthy()) return undefined;
    const entry = this.#sessions.get(sessionId);
    if (!entry) return undefined;
    if (entry.liveUntil <= now || entry.userId !== userId) {
      this.#drop(sessionId);
      return undefined;
    }
    return entry;
  }

  /** Taken before the database read whose answer {@link fill} may keep. */
  ticket(): FillTicket {
    return this.#epoch;
  }

  fill(ticket: FillTicket, sessionId: string, user: User, sessionExpiresAt: number, now: number): void {
    if (ticket !== this.#epoch || this.#capacity === 0 || !this.#bus.healthy()) return;
    // healthy() may itself have announced a loss (and moved the epoch): check once more.
    if (ticket !== this.#epoch) return;
    if (this.#sessions.size >= this.#capacity) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#drop(oldest);
    }
    this.#drop(sessionId);
    this.#sessions.set(sessionId, {
      userId: user.id,
      user,
      liveUntil: Math.min(sessionExpiresAt, now + this.#maxAgeMs),
    });
    let sessions = this.#byUser.get(user.id);
    if (!sessions) {
      sessions = new Set();
      this.#byUser.set(user.id, sessions);
    }
    sessions.add(sessionId);
  }

  /** Drops what the event names (and moves the epoch, so reads in flight do not put it back). */
  forget(event: Invalidation): void {
    this.#epoch++;
    if (event.kind === 'all') {
      this.#sessions.clear();
      this.#byUser.clear();
    } else if (event.kind === 'session') {
      this.#drop(event.id);
    } else {
      for (const sessionId of this.#byUser.get(event.id) ?? []) this.#sessions.delete(sessionId);
      this.#byUser.delete(event.id);
    }
  }

  /** How many sessions are held (tests, metrics). */
  get size(): number {
    return this.#sessions.size;
  }

  #drop(sessionId: string): void {
    const entry = this.#sessions.get(sessionId);
    if (!entry) return;
    this.#sessions.delete(sessionId);
    const sessions = this.#byUser.get(entry.userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.#byUser.delete(entry.userId);
  }
}
