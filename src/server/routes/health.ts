import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { signaturesEqual } from '../../wechat/crypto/index.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { errorResponses } from '../schemas.ts';

/** A readiness probe answers within this, so a hung dependency reads as down rather than hanging the probe. */
const READY_CHECK_MS = 2000;

async function probe(check: () => Promise<void>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'down'>((resolve) => {
    timer = setTimeout(() => resolve('down'), READY_CHECK_MS);
  });
  try {
    return await Promise.race([
      check().then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

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

  const Check = Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('not configured')]);
  const Readiness = Type.Object({
    status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable'), Type.Literal('draining')]),
    checks: Type.Object({ database: Check, cache: Check }),
  });
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: the database and Redis answer, and the instance is not shutting down',
        description: `Answers within ${READY_CHECK_MS} ms whatever the dependencies do; 503 names what is down.`,
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (request, reply) => {
      const [database, cache] = await Promise.all([
        probe(() => ctx.store.ping()),
        ctx.config.redisUrl ? probe(() => ctx.cache.ping()) : ('not configured' as const),
      ]);
      const checks = { database, cache };
      const status = ctx.lifecycle.draining
        ? ('draining' as const)
        : database === 'down' || cache === 'down'
          ? ('unavailable' as const)
          : ('ready' as const);
      if (status === 'ready') return { status, checks };
      if (status === 'unavailable') request.log.warn({ checks }, 'not ready');
      return reply.code(503).header('retry-after', '2').send({ status, checks });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['ops'],
        summary: 'Prometheus metrics (bearer METRICS_TOKEN when configured)',
        response: errorResponses('UNAUTHORIZED'),
      },
    },
    async (request, reply) => {
      const token = ctx.config.metricsToken;
      if (token !== undefined && !signaturesEqual(request.headers.authorization ?? '', `Bearer ${token}`)) {
        throw new ApiError('UNAUTHORIZED', 'Send METRICS_TOKEN as "Authorization: Bearer <token>" to read /metrics.');
      }
      const { contentType, text } = await ctx.metrics.scrape();
      reply.type(contentType);
      return text;
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
