import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { LocalMediaStore } from '../../media/index.ts';
import { AVATAR_PATH } from '../avatars/avatar-store.ts';
import type { ServerContext } from '../context.ts';
import { sendApiError } from '../error-handler.ts';
import { ApiError } from '../errors.ts';

const ONE_YEAR_MS = 365 * 24 * 3600_000;

/**
 * Serves the local avatar directory. Names are content hashes, so a file never changes: clients
 * and CDNs may keep it for a year without asking again. Other stores serve their objects themselves.
 */
export async function mediaRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  if (!(ctx.media instanceof LocalMediaStore)) return;
  const root = ctx.media.directory;
  await app.register(async (scope) => {
    // A file deleted between the lookup and the read (its account was just deleted, or WeChat
    // withdrew the profile) is simply not there: 404, not the 500 the fuzz run met. Anything
    // else goes on to the server's own error handler.
    scope.setErrorHandler((err, _request, reply) => {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
      return sendApiError(
        reply,
        new ApiError('NOT_FOUND', { en: 'No such avatar (it was deleted).', zh: '没有这个头像（它已被删除）。' }),
      );
    });
    await scope.register(fastifyStatic, {
      root,
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
  });
}
