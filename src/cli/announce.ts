import { DEFAULT_CACHE_PREFIX } from '../cache/index.ts';
import type { Config } from '../config/config.ts';
import { openInvalidationBus } from '../revocation/index.ts';
import type { StoreDatabase } from '../store/index.ts';
import type { InvalidationBus } from '../tokens/index.ts';

/**
 * For operator commands that end sessions or delete users while servers run: tells every
 * instance to drop what it keeps about the user, on the bus the servers listen to (Redis when
 * REDIS_URL is set, else PostgreSQL NOTIFY; SQLite servers notice the file changed by themselves).
 * The bus is opened on the first announcement only.
 */
export function lazyAnnouncer(config: Readonly<Config>, database: StoreDatabase) {
  let bus: Promise<InvalidationBus> | undefined;
  return {
    async announce(userId: string): Promise<void> {
      bus ??= openInvalidationBus({
        store: database,
        databaseUrl: config.databaseUrl,
        redisUrl: config.redisUrl,
        redisPrefix: DEFAULT_CACHE_PREFIX,
        timeoutMs: config.redisUrl ? config.redisTimeoutMs : config.dbTimeoutMs,
        listen: false,
      });
      await (await bus).publish({ kind: 'user', id: userId });
    },
    async close(): Promise<void> {
      if (bus) await (await bus).close();
    },
  };
}
