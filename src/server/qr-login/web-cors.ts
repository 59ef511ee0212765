import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';

/**
 * The routes a website calls from the browser: the browser's scan-to-login routes and its
 * session's refresh and logout. Nothing else answers CORS: the mini program needs none (wx.request
 * is not a browser), and every other route stays same-origin only.
 */
const WEB_PATHS = /^\/v1\/(qr-login(\/[A-Za-z0-9_-]{22}(\/events)?)?|token\/refresh|logout)$/;

/** CORS for WEB_CLIENTS' origins on WEB_PATHS, when any web client is configured. */
export async function registerWebCors(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const origins = ctx.config.webClients.flatMap((c) => c.origins);
  if (origins.length === 0) return;
  await app.register(cors, {
    delegator: (request, callback) => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      if (!WEB_PATHS.test(path)) return callback(null, { origin: false });
      callback(null, {
        origin: origins,
        methods: ['GET', 'POST', 'DELETE'],
        allowedHeaders: ['content-type', 'authorization', 'accept-language'],
        // No cookies: the browser proves itself with the ticket's secret or a bearer token.
        credentials: false,
        maxAge: 600,
      });
    },
  });
}
