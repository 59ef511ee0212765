import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { signaturesEqual } from '../../wechat/crypto/index.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';

/** Liveness, readiness, Prometheus metrics and the public keys business backends verify with. */
export async function healthRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: the database answers',
        response: { 200: Type.Object({ status: Type.String() }), 503: Type.Object({ status: Type.String() }) },
      },
    },
    async (request, reply) => {
      try {
        await ctx.store.ping();
        return { status: 'ready' };
      } catch (err) {
        request.log.warn({ err }, 'database not reachable');
        return reply.code(503).send({ status: 'database unreachable' });
      }
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['ops'], summary: 'Prometheus metrics (bearer METRICS_TOKEN when configured)' } },
    async (request, reply) => {
      const token = ctx.config.metricsToken;
      if (token !== undefined && !signaturesEqual(request.headers.authorization ?? '', `Bearer ${token}`)) {
        throw new ApiError('UNAUTHORIZED', 'Send METRICS_TOKEN as "Authorization: Bearer <token>" to read /metrics.');
      }
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['tokens'], summary: 'Public keys that verify our access tokens (EdDSA)' } },
    async (_request, reply) => {
      // Short cache: a rotated key must reach verifiers well within the access-token lifetime.
      reply.header('cache-control', 'public, max-age=300');
      return ctx.tokens.jwks();
    },
  );
}
