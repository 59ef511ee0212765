import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { announceUserChanges } from './announce-changes.ts';
import type { ServerContext } from './context.ts';
import { errorHandlingOptions, installErrorHandling } from './error-handler.ts';
import { ApiError } from './errors.ts';
import { installLifecycleHooks } from './lifecycle.ts';
import { OneLineRequestLog } from './logger.ts';
import { openapiOptions } from './openapi.ts';
import { pushRoutes } from './push/push-routes.ts';
import { registerWebCors } from './qr-login/web-cors.ts';
import { rateLimitStore } from './rate-limit-store.ts';
import { accountRoutes } from './routes/account.ts';
import { avatarRoutes } from './routes/avatar.ts';
import { healthRoutes } from './routes/health.ts';
import { loginRoutes } from './routes/login.ts';
import { meRoutes } from './routes/me.ts';
import { mediaRoutes } from './routes/media.ts';
import { phoneRoutes } from './routes/phone.ts';
import { profileRoutes } from './routes/profile.ts';
import { qrLoginRoutes } from './routes/qr-login.ts';
import { sessionRoutes } from './routes/session.ts';
import { wxLoginRoutes } from './routes/wx-login.ts';
import { fastifyTrustProxy } from './trust-proxy.ts';

export interface BuildServerOptions {
  /** Pino options or false; default: the config's LOG_LEVEL with redaction. */
  logger?: boolean | Record<string, unknown> | undefined;
  /** JSON bodies larger than this are refused with 413. */
  bodyLimit?: number;
}

/**
 * The HTTP service as a Fastify instance, not listening: tests call `inject()` or `listen()` on a
 * fresh one; `serve` and `dev` listen on the configured port.
 */
export async function buildServer(ctx: ServerContext, options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // One logger for requests and for dependency events outside them (ctx.log), unless a test
    // hands its own options.
    ...(options.logger === undefined ? { loggerInstance: ctx.log } : { logger: options.logger }),
    // One line per request at info (./logger.ts), not Fastify's two; every answered request is
    // counted there too, by its route pattern ('unmatched' when none), without an onResponse hook.
    logController: new OneLineRequestLog({
      counted: (request, reply) =>
        ctx.metrics.countHttpRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode),
    }),
    // Our SHUTTING_DOWN answer (lifecycle hooks) replaces Fastify's plain 503 while closing.
    return503OnClosing: false,
    // On close, idle keep-alive sockets go at once; busy ones after their answer.
    forceCloseConnections: 'idle',
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // request.ip, which logs and rate limits key on, is the client as TRUST_PROXY says to read it.
    trustProxy: fastifyTrustProxy(ctx.config.trustProxy),
    // Our own error shape for schema failures, with every problem listed.
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
    // Bad URLs and malformed HTTP are answered in our shape too, never with Fastify's defaults.
    ...errorHandlingOptions,
  });
  installErrorHandling(app);
  installLifecycleHooks(app, ctx.lifecycle, () => new ApiError('SHUTTING_DOWN'));
  // JSON only (what wx.request sends by default): a text body is a client bug worth a clear 415.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, openapiOptions());
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await registerWebCors(app, ctx);
  await app.register(rateLimit, {
    global: false,
    // The default key is request.ip (an IPv6 client by its /64): the client behind TRUST_PROXY's proxies.
    // In Redis when configured, so every instance counts the same client.
    // While Redis is away, each instance counts on its own (./rate-limit-store.ts).
    ...(ctx.redis && {
      store: rateLimitStore(ctx.redis.client, `${ctx.redis.prefix}rate-limit:`, () =>
        ctx.metrics.cacheFallbacks.inc({ use: 'rate_limit' }),
      ),
    }),
    errorResponseBuilder: (_request, context) =>
      new ApiError('RATE_LIMITED', {
        en: `Too many requests from this client; retry in ${Math.ceil(context.ttl / 1000)} s.`,
        zh: `这个客户端的请求过于频繁，请在 ${Math.ceil(context.ttl / 1000)} 秒后重试。`,
      }),
  });

  announceUserChanges(app, ctx);

  await healthRoutes(app, ctx);
  await loginRoutes(app, ctx);
  await wxLoginRoutes(app, ctx);
  await sessionRoutes(app, ctx);
  await meRoutes(app, ctx);
  await accountRoutes(app, ctx);
  await pushRoutes(app, ctx);
  await profileRoutes(app, ctx);
  await avatarRoutes(app, ctx);
  await phoneRoutes(app, ctx);
  await mediaRoutes(app, ctx);
  await qrLoginRoutes(app, ctx);
  return app;
}
