import { parseDatabaseUrl, type Store } from '../store/index.ts';
import type { InvalidationBus } from '../tokens/live-sessions.ts';
import { LocalInvalidationBus } from './local-bus.ts';
import { PostgresInvalidationBus } from './postgres-bus.ts';
import { RedisInvalidationBus } from './redis-bus.ts';

export { LocalInvalidationBus } from './local-bus.ts';
export { channelFor, PostgresInvalidationBus } from './postgres-bus.ts';
export { RedisInvalidationBus, SUBSCRIBER_NAME } from './redis-bus.ts';

export interface OpenBusOptions {
  store: Pick<Store, 'db' | 'dialect' | 'schema' | 'dataVersion'>;
  databaseUrl: string;
  redisUrl?: string | undefined;
  /** The cache's key prefix: the Redis channel is `<prefix>invalidations`. */
  redisPrefix: string;
  timeoutMs?: number | undefined;
  /** false for a process that only announces (the CLI). */
  listen?: boolean | undefined;
  onError?: ((err: Error) => void) | undefined;
}

/**
 * The way invalidations reach every process that caches sessions: SQLite's one file tells on
 * itself (data_version); on PostgreSQL, Redis pub/sub when REDIS_URL is set, else LISTEN/NOTIFY on
 * the database itself. RELIABILITY.md states the bound.
 */
export async function openInvalidationBus(options: OpenBusOptions): Promise<InvalidationBus> {
  const { store } = options;
  if (store.dialect === 'sqlite') return new LocalInvalidationBus(store.dataVersion);
  if (options.redisUrl) {
    return RedisInvalidationBus.open({
      url: options.redisUrl,
      channel: `${options.redisPrefix}invalidations`,
      timeoutMs: options.timeoutMs,
      listen: options.listen,
      onError: options.onError,
    });
  }
  const target = parseDatabaseUrl(options.databaseUrl);
  if (target.dialect !== 'postgres') throw new TypeError('a PostgreSQL store without a PostgreSQL URL');
  return PostgresInvalidationBus.open({
    connectionString: target.connectionString,
    db: store.db,
    schema: store.schema,
    timeoutMs: options.timeoutMs,
    listen: options.listen,
    onError: options.onError,
  });
}
