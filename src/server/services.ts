import { Redis } from 'ioredis';
import { type Cache, CacheAccessTokenStore, DEFAULT_CACHE_PREFIX, openCache } from '../cache/index.ts';
import type { Config } from '../config/config.ts';
import { type MediaStore, S3MediaStore } from '../media/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { TokenService } from '../tokens/index.ts';
import { AccessTokenManager, WeChatClient, type WeChatClientOptions } from '../wechat/client/index.ts';
import { localAvatarStore } from './avatars/avatar-store.ts';
import type { ServerContext } from './context.ts';
import { CodeExchanges } from './login/code-exchange.ts';
import { createMetrics, type Metrics } from './metrics.ts';

export interface ContextOptions {
  /** Overrides for the WeChat client (tests shorten timeouts and retries). */
  wechat?: Omit<WeChatClientOptions, 'baseUrl' | 'onCall'>;
  /** PostgreSQL schema for the tables (tests give each run its own). */
  schema?: string | undefined;
  /** Redis key prefix (tests give each run its own). */
  cachePrefix?: string | undefined;
  now?: () => number;
  metrics?: Metrics;
  /** Where avatars go; default {@link mediaStoreFor} the configuration. */
  media?: MediaStore;
}

export type OwnedServerContext = ServerContext & { close(): Promise<void> };

/**
 * The composition root: opens the store and the cache, builds the WeChat client, the access-token
 * manager, the token service and the metrics. Everything opened here is closed by `close()`.
 */
export async function createServerContext(
  config: Readonly<Config>,
  options: ContextOptions = {},
): Promise<OwnedServerContext> {
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? createMetrics();
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch(() => {});
  };
  try {
    const store: Store = await openStore({
      url: config.databaseUrl,
      secretKey: config.secretKey,
      previousSecretKeys: config.previousSecretKeys,
      schema: options.schema,
    });
    closers.push(() => store.close());
    const cache: Cache = await openCache({
      url: config.redisUrl,
      prefix: options.cachePrefix,
      // Redis expires by its own clock; the in-process cache follows ours.
      now: config.redisUrl ? undefined : now,
    });
    closers.push(() => cache.close());
    const redisClient = config.redisUrl ? await connectRateLimitRedis(config.redisUrl) : undefined;
    if (redisClient) closers.push(() => redisClient.quit());
    const redis = redisClient && { client: redisClient, prefix: options.cachePrefix ?? DEFAULT_CACHE_PREFIX };

    const wechat = new WeChatClient({
      ...options.wechat,
      baseUrl: config.wechatApiBase,
      onCall: (event) => {
        metrics.wechatCalls.inc({
          api: event.api,
          errcode: event.errcode === null ? 'transport' : String(event.errcode),
        });
        metrics.wechatLatency.observe({ api: event.api }, event.durationMs / 1000);
      },
    });
    closers.push(() => wechat.close());
    const accessTokens = new AccessTokenManager({
      client: wechat,
      secrets: Object.fromEntries(config.apps.map((a) => [a.appid, a.secret])),
      store: new CacheAccessTokenStore(cache, { now: config.redisUrl ? Date.now : now }),
      now,
    });
    const tokens = await TokenService.open({
      store,
      issuer: 'weapp-auth',
      audiences: config.apps.map((a) => a.appid),
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      now,
    });
    return {
      config,
      store,
      cache,
      redis,
      wechat,
      accessTokens,
      tokens,
      metrics,
      codeExchanges: new CodeExchanges(cache, store.box),
      media: options.media ?? mediaStoreFor(config),
      now,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** MEDIA_STORE's choice: the S3 bucket, or AVATAR_DIR served by this server under PUBLIC_URL/media/avatars. */
export function mediaStoreFor(config: Readonly<Config>): MediaStore {
  return config.s3 ? new S3MediaStore(config.s3) : localAvatarStore(config);
}

/** @fastify/rate-limit speaks ioredis itself; settings from its docs for a limiter that must not stall. */
async function connectRateLimitRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 1 });
  redis.on('error', () => {
    // ioredis reconnects by itself; the limiter skips on error rather than failing logins.
  });
  await redis.connect();
  return redis;
}
