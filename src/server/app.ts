import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerContext } from './context.ts';
import { installErrorHandling } from './error-handler.ts';
import { ApiError } from './errors.ts';
import { loggerOptions } from './logger.ts';
import { avatarRoutes } from './routes/avatar.ts';
import { healthRoutes } from './routes/health.ts';
import { loginRoutes } from './routes/login.ts';
import { meRoutes } from './routes/me.ts';
import { mediaRoutes } from './routes/media.ts';
import { phoneRoutes } from './routes/phone.ts';
import { profileRoutes } from './routes/profile.ts';
import { sessionRoutes } from './routes/session.ts';
import { wxLoginRoutes } from './routes/wx-login.ts';

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
    logger: options.logger ?? loggerOptions(ctx.config.logLevel),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: ctx.config.trustProxy,
    // Our own error shape for schema failures, with every problem listed.
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  });
  installErrorHandling(app);
  // JSON only (what wx.request sends by default): a text body is a client bug worth a clear 415.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'weapp-auth',
        version: '0.1.0',
        description: 'Login and user-authorization backend for WeChat Mini Programs. Errors: {code, message}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(rateLimit, {
    global: false,
    // In Redis when configured, so every instance counts the same client.
    ...(ctx.redis && { redis: ctx.redis.client, nameSpace: `${ctx.redis.prefix}rate-limit:`, skipOnError: true }),
    errorResponseBuilder: (_request, context) =>
      new ApiError('RATE_LIMITED', `Too many requests from this client; retry in ${Math.ceil(context.ttl / 1000)} s.`),
  });

  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.httpRequests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: String(reply.statusCode),
    });
  });

  await healthRoutes(app, ctx);
  await loginRoutes(app, ctx);
  await wxLoginRoutes(app, ctx);
  await sessionRoutes(app, ctx);
  await meRoutes(app, ctx);
  await profileRoutes(app, ctx);
  await avatarRoutes(app, ctx);
  await phoneRoutes(app, ctx);
  await mediaRoutes(app, ctx);
  return app;
}
