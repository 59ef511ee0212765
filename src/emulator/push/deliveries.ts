import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PushSettings } from './push-settings.ts';
import type { PushRequest } from './push-wire.ts';

/** One attempt to deliver: what the push URL answered, or why nothing came back. */
export interface PushAttempt {
  /** Emulator clock time the attempt started (ms). */
  at: number;
  /** `success`: answered 200 with `success` or an empty body (§16.5). */
  outcome: 'success' | 'rejected' | 'timeout' | 'error';
  status?: number;
  /** The first 200 characters of the answer, when it was not `success`. */
  answer?: string;
  error?: string;
  durationMs: number;
}

export interface PushDelivery {
  id: number;
  appid: string;
  /** The message's Event (or MsgType). */
  event: string;
  openid?: string;
  revokeInfo?: string;
  traceId?: string;
  url: string;
  mode: PushSettings['mode'];
  format: PushSettings['format'];
  createdAt: number;
  /** `sending` until an attempt succeeds or the retries are spent. */
  status: 'sending' | 'delivered' | 'failed';
  attempts: PushAttempt[];
  /** The message as sent (before encryption): what a trace shows. */
  message: Record<string, unknown>;
  /** The request itself (signed, sealed in safe mode), the same on every attempt: to replay it. */
  request: PushRequest;
}

const KEEP = 200;
const ANSWER_CHARS = 200;

export type DeliveryInfo = Pick<PushDelivery, 'appid' | 'event' | 'message'> &
  Partial<Pick<PushDelivery, 'openid' | 'revokeInfo' | 'traceId'>>;

/**
 * Every push the emulator sends, with its attempts. WeChat waits 5 s for `success`, then sends
 * the same request again, at most 3 more times (§16.6); so does this, on its settings' schedule.
 */
export class PushDeliveries {
  #next = 1;
  #list: PushDelivery[] = [];
  readonly #settled = new Map<number, Promise<PushDelivery>>();
  readonly #listeners = new Set<(delivery: PushDelivery) => void>();
  #stopped = new AbortController();

  /**
   * Starts delivering (in the background) and returns the record at once. `repeat` sends the
   * same request that many more times whatever the answers: WeChat's duplicate deliveries.
   */
  deliver(
    settings: PushSettings,
    request: PushRequest,
    info: DeliveryInfo,
    now: () => number,
    repeat = 0,
  ): PushDelivery {
    const delivery: PushDelivery = {
      id: this.#next++,
      ...info,
      url: settings.url,
      mode: settings.mode,
      format: settings.format,
      createdAt: now(),
      request: { ...request },
      status: 'sending',
      attempts: [],
    };
    this.#list.push(delivery);
    if (this.#list.length > KEEP) this.#list.shift();
    const stop = this.#stopped.signal;
    const run = this.#run(settings, request, delivery, now, repeat, stop).then(() => {
      this.#emit(delivery);
      return delivery;
    });
    this.#settled.set(delivery.id, run);
    this.#emit(delivery);
    return delivery;
  }

  async #run(
    settings: PushSettings,
    request: PushRequest,
    delivery: PushDelivery,
    now: () => number,
    repeat: number,
    stop: AbortSignal,
  ): Promise<void> {
    const attempts = 1 + settings.retries;
    for (let i = 0; i < attempts && !stop.aborted; i++) {
      if (i > 0 && settings.retryDelayMs > 0)
        await sleep(settings.retryDelayMs, undefined, { signal: stop }).catch(() => {});
      if (stop.aborted) break;
      const attempt = await send(settings, request, now, stop);
      delivery.attempts.push(attempt);
      if (attempt.outcome === 'success') {
        delivery.status = 'delivered';
        break;
      }
      if (i < attempts - 1) this.#emit(delivery);
    }
    if (delivery.status !== 'delivered') delivery.status = 'failed';
    for (let r = 0; r < repeat && !stop.aborted; r++) delivery.attempts.push(await send(settings, request, now, stop));
  }

  #emit(delivery: PushDelivery): void {
    for (const listener of this.#listeners) {
      try {
        listener(structuredClone(delivery));
      } catch {
        // A broken dev UI listener must not change what is delivered.
      }
    }
  }

  /** The latest deliveries (oldest first), for one app or all. */
  list(appid?: string): PushDelivery[] {
    return this.#list.filter((d) => appid === undefined || d.appid === appid).map((d) => structuredClone(d));
  }

  get(id: number): PushDelivery | undefined {
    const found = this.#list.find((d) => d.id === id);
    return found && structuredClone(found);
  }

  /** Resolves once the delivery is done: delivered, or failed after its retries. */
  async settled(id: number): Promise<PushDelivery | undefined> {
    const run = this.#settled.get(id);
    if (!run) return this.get(id);
    await run;
    return this.get(id);
  }

  /** Each delivery when it starts, after each failed attempt, and when it settles. */
  listen(listener: (delivery: PushDelivery) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every delivery under way and forgets them all. */
  clear(): void {
    this.#stopped.abort();
    this.#stopped = new AbortController();
    this.#list = [];
    this.#settled.clear();
  }
}

async function send(
  settings: PushSettings,
  request: PushRequest,
  now: () => number,
  stop: AbortSignal,
): Promise<PushAttempt> {
  const at = now();
  const started = performance.now();
  const took = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const res = await fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': request.contentType },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), stop]),
    });
    const text = await res.text();
    // §16.5: `success` or an empty body acknowledges; anything else is no answer to WeChat.
    const ok = res.status === 200 && (text === '' || text.trim() === 'success');
    return ok
      ? { at, outcome: 'success', status: res.status, durationMs: took() }
      : { at, outcome: 'rejected', status: res.status, answer: text.slice(0, ANSWER_CHARS), durationMs: took() };
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    return timedOut
      ? { at, outcome: 'timeout', error: `no answer within ${settings.timeoutMs} ms`, durationMs: took() }
      : {
          at,
          outcome: 'error',
          error: String((err as Error).cause ?? (err as Error).message).slice(0, ANSWER_CHARS),
          durationMs: took(),
        };
  }
}
