import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Cache, CacheError } from './cache.ts';

export interface LockOptions {
  /** How long to wait for a lock someone else holds (default: `ttlMs`); 0 gives up at once. */
  waitMs?: number | undefined;
  /** Pause between attempts while waiting (default 50 ms). */
  retryMs?: number | undefined;
}

/**
 * Runs `fn` while holding `key`, across every instance sharing `cache`. The lock frees itself
 * after `ttlMs` should this process die, so `fn` must finish well within it: a slower `fn` may
 * find another holder running beside it. Release deletes the key only if it still holds our
 * random token, so a lock that expired and was retaken is never released by its old holder.
 * Throws a CacheError `LOCK_TIMEOUT` when the lock stays taken for `waitMs`.
 */
export async function withLock<T>(
  cache: Cache,
  key: string,
  ttlMs: number,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const token = randomBytes(16).toString('base64url');
  const deadline = Date.now() + (options.waitMs ?? ttlMs);
  while (!(await cache.setIfAbsent(key, token, ttlMs))) {
    if (Date.now() >= deadline) {
      throw new CacheError('LOCK_TIMEOUT', `The lock "${key}" stayed taken for ${options.waitMs ?? ttlMs} ms.`);
    }
    await sleep(options.retryMs ?? 50);
  }
  try {
    return await fn();
  } finally {
    await cache.deleteIfEquals(key, token);
  }
}
