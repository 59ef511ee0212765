import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Invalidation, InvalidationBus } from '../tokens/live-sessions.ts';

export interface RemoteBusOptions {
  /** How often this instance sends itself a heartbeat through the broker (default 500 ms). */
  heartbeatMs?: number | undefined;
  /**
   * How long without its own heartbeat coming back before the feed is no longer trusted (default
   * 3 heartbeats): the longest a stalled-but-not-broken subscription can hide an invalidation.
   */
  staleAfterMs?: number | undefined;
}

/**
 * `s:<session id>`, `u:<user id>`, `*`, and heartbeats `h:<instance>:<seq>`; an event may end in
 * `|<nonce>`, which its sender waits to hear back (PostgreSQL). Ids never hold ':' or '|'.
 */
export function encode(event: Invalidation): string {
  return event.kind === 'all' ? '*' : `${event.kind === 'session' ? 's' : 'u'}:${event.id}`;
}

function decode(message: string): Invalidation | undefined {
  if (message === '*') return { kind: 'all' };
  const bar = message.indexOf('|');
  if (bar !== -1) return decode(message.slice(0, bar));
  const id = message.slice(2);
  if (message.startsWith('s:') && id) return { kind: 'session', id };
  if (message.startsWith('u:') && id) return { kind: 'user', id };
  return undefined;
}

/**
 * What Redis pub/sub and PostgreSQL LISTEN/NOTIFY share: listeners, and the proof that the feed is
 * whole. A subscription can lose messages only by losing its connection, and a connection can
 * stall without breaking; so the feed is trusted only after this instance's own heartbeat, sent
 * after the last loss, came back through the broker, and only while the next ones keep coming.
 * On any loss every listener hears `all` (the cache empties) and the database answers until then.
 */
export abstract class RemoteBus implements InvalidationBus {
  readonly #listeners: ((event: Invalidation) => void)[] = [];
  readonly #instance = randomBytes(6).toString('hex');
  readonly #heartbeatMs: number;
  readonly #staleAfterMs: number;
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  /** The first heartbeat whose return proves the feed again; Infinity while none was sent since a loss. */
  #provesFrom = 0;
  #trusted = false;
  #lastBeatAt = 0;
  readonly #echoes = new Map<string, () => void>();

  constructor(options: RemoteBusOptions = {}) {
    this.#heartbeatMs = options.heartbeatMs ?? 500;
    this.#staleAfterMs = options.staleAfterMs ?? this.#heartbeatMs * 3;
  }

  /** Sends one message on the channel (a heartbeat): may fail, a missing heartbeat says enough. */
  protected abstract send(message: string): Promise<void>;
  /** Drops the subscription's connection and makes a new one (a stalled feed). */
  protected abstract reconnect(): void;

  healthy(): boolean {
    if (!this.#trusted) return false;
    if (performance.now() - this.#lastBeatAt <= this.#staleAfterMs) return true;
    this.lost();
    return false;
  }

  subscribe(listener: (event: Invalidation) => void): void {
    this.#listeners.push(listener);
  }

  abstract publish(event: Invalidation): Promise<void>;

  abstract close(): Promise<void>;

  /** Starts the heartbeats; the feed is trusted from the first one that comes back. */
  protected startHeartbeats(): void {
    this.#beat();
    this.#timer = setInterval(() => this.#beat(), this.#heartbeatMs);
    this.#timer.unref();
  }

  protected stopHeartbeats(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.lost();
  }

  /** Applies an event here at once (the publisher's own instance does not wait for the broker). */
  protected deliver(event: Invalidation): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** A message from the channel. */
  protected receive(message: string): void {
    if (message.startsWith('h:')) {
      const [, instance, seq] = message.split(':');
      if (instance === this.#instance && Number(seq) >= this.#provesFrom) {
        this.#trusted = true;
        this.#lastBeatAt = performance.now();
      }
      return;
    }
    const event = decode(message);
    if (event) this.deliver(event);
    const bar = message.indexOf('|');
    if (bar !== -1) this.#echoes.get(message.slice(bar + 1))?.();
  }

  /**
   * Sends an event through `send` and resolves once this instance's own subscription heard it
   * back (or after the stale bound, when the feed is in doubt anyway): by then the broker has
   * handed it to every subscriber, not merely accepted it.
   */
  protected async sendAndHear(event: Invalidation, send: (message: string) => Promise<void>): Promise<void> {
    const nonce = randomBytes(8).toString('hex');
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<void>((resolve) => {
      this.#echoes.set(nonce, resolve);
      timer = setTimeout(resolve, this.#staleAfterMs);
    });
    try {
      await send(`${encode(event)}|${nonce}`);
      await heard;
    } finally {
      clearTimeout(timer);
      this.#echoes.delete(nonce);
    }
  }

  /** The subscription may have missed something: stop trusting, empty the caches. */
  protected lost(): void {
    this.#provesFrom = this.#seq + 1;
    if (!this.#trusted) return;
    this.#trusted = false;
    this.deliver({ kind: 'all' });
  }

  #beat(): void {
    // Silent for too long while the connection looks up: it stalled; a new one is cheaper than doubt.
    if (this.#lastBeatAt > 0 && performance.now() - this.#lastBeatAt > this.#staleAfterMs * 2) {
      this.#lastBeatAt = performance.now();
      this.lost();
      this.reconnect();
    }
    this.#seq++;
    this.send(`h:${this.#instance}:${this.#seq}`).catch(() => {});
  }
}
