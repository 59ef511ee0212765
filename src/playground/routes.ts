import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { EmulatorControl } from '../emulator/index.ts';
import { CallFeed } from './call-feed.ts';

export const PLAYGROUND_PREFIX = '/playground';

// The same two levels up from src/playground/ (tsx) and dist/playground/ (an installed package).
const ROOT = new URL('../../', import.meta.url);
const PAGE_DIR = fileURLToPath(new URL('playground_dist/', ROOT));
const SDK_DIR = fileURLToPath(new URL('playground_dist/sdk/', ROOT));

export interface PlaygroundOptions {
  /** The emulator the page's stand-in `wx` talks to, and whose WeChat-side calls the trace shows. */
  emulator: { url: string; control: EmulatorControl };
  appid: string;
  /** The WeChat user on the simulated phone. */
  user?: string;
  /** The playground's id in WEB_CLIENTS (its origin listed there): shows the scan-to-login website. */
  webClientId?: string;
  /** Where the built page and SDK are (default: playground_dist/ and playground_dist/sdk/ of the package). */
  dirs?: { page: string; sdk: string };
}

/** Why the playground cannot be served (it is built by `npm run build:miniprogram`), or undefined. */
export function playgroundProblem(dirs = { page: PAGE_DIR, sdk: SDK_DIR }): string | undefined {
  if (existsSync(join(dirs.page, 'app.js')) && existsSync(join(dirs.sdk, 'index.mjs'))) return undefined;
  return 'the playground is not built; run `npm run build:miniprogram` (npm start does it)';
}

/**
 * Mounts the playground on the server's own Fastify instance, so the page calls our API from the
 * same origin (the API has no CORS; the emulator's control API has). Serves the page, the SDK as
 * published, the page's settings, and the WeChat-side calls for the trace.
 */
export async function registerPlayground(app: FastifyInstance, options: PlaygroundOptions): Promise<void> {
  const feed = new CallFeed();
  const stop = options.emulator.control.onCall((event) => feed.push(event));
  app.addHook('onClose', async () => {
    stop();
  });
  const dirs = options.dirs ?? { page: PAGE_DIR, sdk: SDK_DIR };
  const problem = playgroundProblem(dirs);
  // Unbuilt, the 503 below answers both /playground and /playground/ itself.
  // A dev tool, not part of the API: kept out of the OpenAPI document at /docs.
  if (!problem) {
    app.get(PLAYGROUND_PREFIX, { schema: { hide: true } }, async (_request, reply) =>
      reply.redirect(`${PLAYGROUND_PREFIX}/`),
    );
  }

  await app.register(
    async (scope) => {
      scope.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, hide: true };
      });
      scope.get('/config.json', async () => ({
        appid: options.appid,
        emulatorUrl: options.emulator.url,
        user: options.user ?? 'alice',
        ...(options.webClientId && { webClientId: options.webClientId }),
      }));
      scope.get<{ Querystring: { after?: string } }>('/api/wechat-calls', async (request) =>
        feed.after(Number(request.query.after ?? 0) || 0),
      );
      if (problem) {
        scope.get('/', async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(problem));
        return;
      }
      await scope.register(fastifyStatic, { root: dirs.page, prefix: '/', redirect: true, index: 'index.html' });
      await scope.register(fastifyStatic, { root: dirs.sdk, prefix: '/sdk/', decorateReply: false });
    },
    { prefix: PLAYGROUND_PREFIX },
  );
}
