import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Cache } from '../cache/index.ts';
import type { Config } from '../config/config.ts';
import type { MediaStore } from '../media/index.ts';
import type { Store } from '../store/index.ts';
import type { TokenService } from '../tokens/index.ts';
import type { AccessTokenManager, WeChatClient } from '../wechat/client/index.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { CodeExchanges } from './login/code-exchange.ts';
import type { Metrics } from './metrics.ts';
import type { QrLoginService } from './qr-login/qr-login-service.ts';

/** Everything a route needs, built once at start (see ./services.ts) and shared by all requests. */
export interface ServerContext {
  config: Readonly<Config>;
  store: Store;
  wechat: WeChatClient;
  accessTokens: AccessTokenManager;
  tokens: TokenService;
  metrics: Metrics;
  /** Short-lived shared state: in-process, or Redis when REDIS_URL is set. */
  cache: Cache;
  codeExchanges: CodeExchanges;
  /** Scan-to-login: tickets, their events across instances, the open event streams. */
  qrLogin: QrLoginService;
  /** The Redis connection for rate limits (and its key prefix) when REDIS_URL is set. */
  redis: { client: Redis; prefix: string } | undefined;
  now: () => number;
  /** Uploaded avatars: a local directory by default, or any MediaStore given to createServerContext. */
  media: MediaStore;
  /** The server's logger: requests log through it, and so do dependency events outside requests. */
  log: FastifyBaseLogger;
  /** Draining or refusing after SIGTERM (readiness and the lifecycle hooks read it). */
  lifecycle: Lifecycle;
}
