import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { EmulatorControl } from '../emulator/index.ts';
import { CallFeed } from './call-feed.ts';

export const PLAYGROUND_PREFIX = '/playground';

// The same two levels up from src/playground/ (tsx) and dist/playground/ (an installed package).
const ROOT = new URL('../../', import.meta.url);
const PAGE_DIR = fileURLToPath(new URL('playground_dist/', ROOT));
const SDK_DIR = fileURLToPath(new URL('miniprogram_dist/', ROOT));

export interface PlaygroundOptions {
  /** The emulator the page's stand-in `wx` talks to, and whose WeChat-side calls the trace shows. */
  emulator: { url: string; control: EmulatorControl };
  appid: string;
  /** The WeChat user on the simulated phone. */
  user?: string;
}

/** Why the playground cannot be served (it is built by `npm run build:miniprogram`), or undefined. */
export function playgroundProblem(): string | undefined {
  if (existsSync(`${PAGE_DIR}app.js`) && existsSync(`${SDK_DIR}index.mjs`)) return undefined;
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
  const problem = playgroundProblem();
  app.get(PLAYGROUND_PREFIX, async (_request, reply) => reply.redirect(`${PLAYGROUND_PREFIX}/`));

  await app.register(
    async (scope) => {
      scope.get('/config.json', async () => ({
        appid: options.appid,
        emulatorUrl: options.emulator.url,
        user: options.user ?? 'alice',
      }));
      scope.get<{ Querystring: { after?: string } }>('/api/wechat-calls', async (request) =>
        feed.after(Number(request.query.after ?? 0) || 0),
      );
      if (problem) {
        scope.get('/', async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(problem));
        return;
      }
      await scope.register(fastifyStatic, { root: PAGE_DIR, prefix: '/', redirect: true, index: 'index.html' });
      await scope.register(fastifyStatic, { root: SDK_DIR, prefix: '/sdk/', decorateReply: false });
    },
    { prefix: PLAYGROUND_PREFIX },
  );
}
