import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import pino from 'pino';
import {
  boundedRedisOptions,
  type Cache,
  CacheAccessTokenStore,
  DEFAULT_CACHE_PREFIX,
  LocalFallbackCache,
  newRedisClient,
  openCache,
} from '../cache/index.ts';
import type { Config } from '../config/config.ts';
import { type MediaStore, S3MediaStore } from '../media/index.ts';
import { openInvalidationBus } from '../revocation/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { TokenService } from '../tokens/index.ts';
import { AccessTokenManager, WeChatClient, type WeChatClientOptions } from '../wechat/client/index.ts';
import { localAvatarStore } from './avatars/avatar-store.ts';
import type { ServerContext } from './context.ts';
import { Lifecycle } from './lifecycle.ts';
import { logDestination, loggerOptions, skipRedactingPrimitives } from './logger.ts';
import { CodeExchanges } from './login/code-exchange.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { openQrLogin } from './qr-login/qr-login-service.ts';

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
  /** The server's logger (default: pino at LOG_LEVEL with the redaction of ./logger.ts). */
  log?: FastifyBaseLogger;
  /** Run pending migrations (default true); `serve --workers` migrates once, in the primary. */
  migrate?: boolean;
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
  // Written asynchronously, the lines of an event-loop turn handed over together, instead of one
  // blocking write per line (./logger.ts, logDestination).
  // pino flushes what is pending when the process exits, on every path out of it.
  // Redaction as configured, without its search through strings and numbers (./logger.ts).
  const log = skipRedactingPrimitives(options.log ?? pino(loggerOptions(config.logLevel), logDestination()));
  const watch = dependencyWatch(log, metrics);
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch(() => {});
  };
  try {
    const store: Store = await starting('database', () =>
      openStore({
        url: config.databaseUrl,
        secretKey: config.secretKey,
        previousSecretKeys: config.previousSecretKeys,
        schema: options.schema,
        migrate: options.migrate,
        timeoutMs: config.dbTimeoutMs,
        queryTimeoutMs: config.dbTimeoutMs,
        preparedStatements: config.dbPreparedStatements === 'on',
        backgroundCheckpoints: true,
        writerThread: writerThread(config.dbWriterThread),
        onError: watch('database'),
      }),
    );
    closers.push(() => store.close());
    const cache: Cache = await starting('redis', () =>
      openCache({
        url: config.redisUrl,
        prefix: options.cachePrefix,
        // Redis expires by its own clock; the in-process cache follows ours.
        now: config.redisUrl ? undefined : now,
        timeoutMs: config.redisTimeoutMs,
        onError: watch('redis'),
      }),
    );
    closers.push(() => cache.close());
    // Per use of Redis, what happens while it is away (RELIABILITY.md): these two fall back to
    // this process; rate limits count locally (app.ts); anything else answers CACHE_UNAVAILABLE.
    const fallback = (use: string) =>
      new LocalFallbackCache(cache, { onFallback: () => metrics.cacheFallbacks.inc({ use }) });
    const redisClient = config.redisUrl
      ? await starting('redis', () =>
          connectRateLimitRedis(config.redisUrl ?? '', config.redisTimeoutMs, watch('redis')),
        )
      : undefined;
    if (redisClient) closers.push(() => redisClient.quit());
    // Scan-to-login tickets live in the cache itself, without fallback: an instance's own memory
    // could not serve a ticket another instance created (RELIABILITY.md: CACHE_UNAVAILABLE).
    const qrLogin = await starting('redis', () =>
      openQrLogin({
        cache,
        redis: redisClient && { client: redisClient, prefix: options.cachePrefix ?? DEFAULT_CACHE_PREFIX },
        onRedisError: watch('redis'),
      }),
    );
    closers.push(() => qrLogin.close());
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
      // stable_token hands every instance the same token, so a per-instance one is safe meanwhile.
      store: new CacheAccessTokenStore(config.redisUrl ? fallback('wechat_access_token') : cache, {
        now: config.redisUrl ? Date.now : now,
      }),
      now,
    });
    // Ended sessions and changed users reach every instance through it, so each may keep session
    // liveness in process (src/revocation, RELIABILITY.md "Revocation").
    const invalidations = await starting(config.redisUrl ? 'redis' : 'database', () =>
      openInvalidationBus({
        store,
        databaseUrl: config.databaseUrl,
        redisUrl: config.redisUrl,
        redisPrefix: options.cachePrefix ?? DEFAULT_CACHE_PREFIX,
        timeoutMs: config.redisUrl ? config.redisTimeoutMs : config.dbTimeoutMs,
        onError: watch(config.redisUrl ? 'redis' : 'database'),
      }),
    );
    closers.push(() => invalidations.close());
    const tokens = await TokenService.open({
      store,
      invalidations,
      issuer: 'weapp-auth',
      audiences: config.apps.map((a) => a.appid),
      webAudiences: config.webClients.map((c) => c.id),
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
      // Without Redis a code sent to two instances at once costs one CODE_USED; the SDK retries it.
      // In one process the exchange's shared promise covers duplicates without the cache.
      codeExchanges: new CodeExchanges(config.redisUrl ? fallback('login_code') : undefined, store.box),
      qrLogin,
      media: options.media ?? mediaStoreFor(config),
      now,
      log,
      lifecycle: new Lifecycle(),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A dependency that could not be opened at start: the CLI turns it into one line naming the setting. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  readonly dependency: 'database' | 'redis';

  constructor(dependency: 'database' | 'redis', cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.dependency = dependency;
  }
}

async function starting<T>(dependency: 'database' | 'redis', open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    throw new StartupError(dependency, err);
  }
}

/**
 * Cores a single process needs before `auto` gives its SQLite writes a thread: one for the event
 * loop, one for the thread (BENCHMARKS.md, steps 7 and 10).
 */
const WRITER_THREAD_MIN_CORES = 2;

/**
 * Whether SQLite's writes get a thread of their own (DB_WRITER_THREAD). The thread takes the
 * writes' CPU off the event loop, which bounds a process (a login's 20-40 %, a refresh's 40 %).
 * On the two shared AMD EPYC cores of step 7 it cost as much CPU in all as it saved (the hand-off,
 * a second heap) and paired rounds were no faster; on the two Intel Xeon cores of steps 8-10, also
 * shared with the load generator and the emulator, it cost less and logins ran 4-21 % faster
 * (step 10's whole runs: 1.17× against 1.00× the reference on Node 20, 0.88× against 0.84× on
 * Node 24), for 13 MB more memory (the thread's heap). `auto` turns it on in a single server
 * process that may use two cores or more; off on one core, and in the workers of
 * `serve --workers`, which take a core each.
 */
export function writerThread(setting: Config['dbWriterThread']): boolean {
  if (setting !== 'auto') return setting === 'on';
  return cluster.isPrimary && availableParallelism() >= WRITER_THREAD_MIN_CORES;
}

/** MEDIA_STORE's choice: the S3 bucket, or AVATAR_DIR served by this server under PUBLIC_URL/media/avatars. */
export function mediaStoreFor(config: Readonly<Config>): MediaStore {
  return config.s3 ? new S3MediaStore(config.s3) : localAvatarStore(config);
}

/** @fastify/rate-limit speaks ioredis itself; bounded like the cache's client, so it never stalls. */
async function connectRateLimitRedis(url: string, timeoutMs: number, onError: (err: Error) => void): Promise<Redis> {
  const redis = await newRedisClient(url, boundedRedisOptions(timeoutMs));
  redis.on('error', onError);
  await redis.connect();
  return redis;
}

/**
 * Connection errors of a dependency outside any request: counted always, logged once per outage
 * (a reconnect loop repeats the same error every couple of seconds), and the pool or client
 * reconnects by itself. A request that meets the outage answers 503 on its own path.
 */
function dependencyWatch(log: FastifyBaseLogger, metrics: Metrics) {
  const quietUntil = new Map<string, number>();
  return (dependency: 'database' | 'redis') => (err: Error) => {
    metrics.dependencyErrors.inc({ dependency });
    const now = Date.now();
    if ((quietUntil.get(dependency) ?? 0) > now) return;
    quietUntil.set(dependency, now + 30_000);
    log.warn(
      { dependency, err: { message: err.message, code: (err as { code?: unknown }).code } },
      `${dependency} connection error; reconnecting`,
    );
  };
}
