import { availableParallelism } from 'node:os';
import type { Config } from '../config/config.ts';

/** More would only add processes contending for the same cores; a typo like 1000 is refused. */
const MAX_WORKERS = 256;

/**
 * How many worker processes `serve --workers` (or WORKERS) asks for: a whole number, or `auto` for
 * one per core the process may use (os.availableParallelism, which follows CPU affinity). A
 * problem is one line that says what to set, exit 2, like every configuration error.
 */
export function workerCount(raw: string | undefined, config: Pick<Config, 'redisUrl'>): number {
  const value = raw?.trim() || '1';
  const count = value === 'auto' ? availableParallelism() : Number(value);
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
    refuse(
      `--workers / WORKERS must be a whole number from 1 to ${MAX_WORKERS}, or auto (got "${value.slice(0, 16)}")`,
    );
  }
  if (count > 1 && config.redisUrl === undefined) {
    refuse(
      `${count} workers need REDIS_URL: worker processes must share the login rate limit, the WeChat ` +
        'access-token fetch and the one-exchange-per-code guard, which only Redis does across processes. ' +
        'Set REDIS_URL, or run one worker (WORKERS=1) per instance.',
    );
  }
  return count;
}

function refuse(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(2);
}
