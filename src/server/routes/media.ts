import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { LocalMediaStore } from '../../media/index.ts';
import { AVATAR_PATH } from '../avatars/avatar-store.ts';
import type { ServerContext } from '../context.ts';

const ONE_YEAR_MS = 365 * 24 * 3600_000;

/**
 * Serves the local avatar directory. Names are content hashes, so a file never changes: clients
 * and CDNs may keep it for a year without asking again. Other stores serve their objects themselves.
 */
export async function mediaRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  if (!(ctx.media instanceof LocalMediaStore)) return;
  await app.register(fastifyStatic, {
    root: ctx.media.directory,
    prefix: `${AVATAR_PATH}/`,
    decorateReply: false,
    index: false,
    list: false,
    // Half-written uploads are dotfiles: never served.
    dotfiles: 'deny',
    maxAge: ONE_YEAR_MS,
    immutable: true,
    setHeaders: (reply) => {
      // The type comes from the sniffed extension; browsers must not second-guess it.
      reply.header('x-content-type-options', 'nosniff');
    },
    // Listed in /docs as /media/avatars/{name} (./openapi.ts).
    schemaHide: true,
  });
}
