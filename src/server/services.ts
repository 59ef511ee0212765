import type { Config } from '../config/config.ts';
import { openStore, type Store } from '../store/index.ts';
import { TokenService } from '../tokens/index.ts';
import { AccessTokenManager, WeChatClient, type WeChatClientOptions } from '../wechat/client/index.ts';
import type { ServerContext } from './context.ts';
import type { Coalesce } from './login/login-flow.ts';
import { createMetrics, type Metrics } from './metrics.ts';

export interface ContextOptions {
  /** Overrides for the WeChat client (tests shorten timeouts and retries). */
  wechat?: Omit<WeChatClientOptions, 'baseUrl' | 'onCall'>;
  /** PostgreSQL schema for the tables (tests give each run its own). */
  schema?: string;
  now?: () => number;
  metrics?: Metrics;
}

/** The composition root: opens the store, builds the WeChat client, token managers and metrics. */
export async function createServerContext(
  config: Readonly<Config>,
  options: ContextOptions = {},
): Promise<ServerContext & { close(): Promise<void> }> {
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? createMetrics();
  const store: Store = await openStore({
    url: config.databaseUrl,
    secretKey: config.secretKey,
    schema: options.schema,
  });
  try {
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
    const accessTokens = new AccessTokenManager({
      client: wechat,
      secrets: Object.fromEntries(config.apps.map((a) => [a.appid, a.secret])),
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
      wechat,
      accessTokens,
      tokens,
      metrics,
      coalesce: inProcessCoalesce(),
      now,
      async close() {
        await wechat.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

function inProcessCoalesce(): Coalesce {
  const inflight = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const running = inflight.get(key);
    if (running) return running as Promise<T>;
    const started = fn().finally(() => inflight.delete(key));
    inflight.set(key, started);
    return started;
  };
}
