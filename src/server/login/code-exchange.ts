import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Cache, SingleFlight } from '../../cache/index.ts';
import { randomBytesPooled, type SecretBox } from '../../store/index.ts';
import type { Code2SessionResult } from '../../wechat/client/index.ts';

/** Longer than one exchange with its retries and timeout. */
const LOCK_TTL_MS = 15_000;
/** Long enough for waiting duplicates to read it once the lock is released. */
const RESULT_TTL_MS = 10_000;
const POLL_MS = 25;

/**
 * A login code works once, so duplicate requests carrying one code (a double tap, a retry after a
 * lost answer, two instances behind a load balancer) must share one exchange with WeChat rather
 * than all but the first failing with "code been used". Within this process they share the
 * promise; across instances the first takes a cache lock and leaves its result, sealed (it holds
 * a session_key), for those that waited on the lock. Without a shared cache (one process, no
 * Redis) the shared promise is all there is to share: no lock, no sealed copy on every login.
 */
export class CodeExchanges {
  readonly #cache: Cache | undefined;
  readonly #box: SecretBox;
  readonly #flights = new SingleFlight<Code2SessionResult>();

  constructor(cache: Cache | undefined, box: SecretBox) {
    this.#cache = cache;
    this.#box = box;
  }

  run(appid: string, code: string, exchange: () => Promise<Code2SessionResult>): Promise<Code2SessionResult> {
    const cache = this.#cache;
    // In process the pair itself keys the flight (it stays in memory, for the exchange's length).
    if (!cache) return this.#flights.run(`${appid}:${code}`, exchange);
    // Keys hold a hash: the cache never sees a usable code.
    const id = createHash('sha256').update(`${appid}:${code}`).digest('base64url');
    const lockKey = `login:code-lock:${id}`;
    const resultKey = `login:code-result:${id}`;
    return this.#flights.run(id, async () => {
      const owner = randomBytesPooled(16).toString('base64url');
      if (await cache.setIfAbsent(lockKey, owner, LOCK_TTL_MS)) {
        try {
          const result = await exchange();
          await cache.set(resultKey, this.#box.seal('session-key', resultKey, JSON.stringify(result)), RESULT_TTL_MS);
          return result;
        } finally {
          await cache.deleteIfEquals(lockKey, owner);
        }
      }
      // Only a request that arrived while the exchange was running shares its result: a code
      // sent again after that is a reuse, and WeChat's own answer (40163) is the right one.
      const deadline = Date.now() + LOCK_TTL_MS;
      while ((await cache.get(lockKey)) !== undefined && Date.now() < deadline) await sleep(POLL_MS);
      return (await this.#read(cache, resultKey)) ?? exchange();
    });
  }

  async #read(cache: Cache, key: string): Promise<Code2SessionResult | undefined> {
    const sealed = await cache.get(key);
    if (sealed === undefined) return undefined;
    try {
      return JSON.parse(this.#box.open('session-key', key, sealed)) as Code2SessionResult;
    } catch {
      // Unreadable (another WEAPP_SECRET_KEY): ask WeChat, which gives the true answer.
      return undefined;
    }
  }
}
