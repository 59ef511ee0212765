import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { exportUserData, recordAuditEvent } from '../../store/index.ts';
import { announcer } from '../announce-changes.ts';
import { authOf, requireUser } from '../authenticate.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { errorResponses } from '../schemas.ts';
import { deleteAccount } from '../user-rights/account-deletion.ts';

const DAY_MS = 86_400_000;

const DeletionResponse = Type.Object({
  status: Type.Union([Type.Literal('deleted'), Type.Literal('scheduled')], {
    description: 'deleted: gone now; scheduled: purged at purgeAt unless the user logs in before',
  }),
  requestedAt: Type.Integer({ description: 'ms since the epoch' }),
  purgeAt: Type.Integer({ description: 'ms since the epoch' }),
});

/**
 * wx.request sends `Content-Type: application/json` on every request, a DELETE without `data` too,
 * and Fastify would refuse that empty body as malformed JSON. This route takes no body: an empty
 * one is no body. A DELETE that does carry bytes is still parsed (and refused when not JSON).
 */
function emptyBodyIsNoBody(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const { headers } = request;
  const empty = headers['transfer-encoding'] === undefined && (headers['content-length'] ?? '0') === '0';
  if (empty) delete headers['content-type'];
  done();
}

/** Flow 8: the user's rights — close the account (PIPL Art. 47) and take a copy of the data (Art. 45). */
export async function accountRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.delete(
    '/v1/me',
    {
      onRequest: emptyBodyIsNoBody,
      preHandler: requireUser(ctx),
      schema: {
        tags: ['me'],
        summary: 'Delete my account: every session ends now; the data goes now or after DELETION_COOLING_OFF_DAYS',
        security: [{ bearer: [] }],
        response: { 200: DeletionResponse, ...errorResponses(401, 503) },
      },
    },
    async (request) => {
      const claims = authOf(request);
      const state = await deleteAccount(
        {
          db: ctx.store.db,
          media: ctx.media,
          now: ctx.now,
          coolingOffMs: ctx.config.deletionCoolingOffDays * DAY_MS,
          announce: announcer(ctx),
        },
        claims.sub,
        { by: 'user', appid: claims.aud, ip: request.ip },
      );
      if (!state) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
      return {
        status: state.purged ? ('deleted' as const) : ('scheduled' as const),
        requestedAt: state.requestedAt,
        purgeAt: state.dueAt,
      };
    },
  );

  app.get(
    '/v1/me/export',
    {
      preHandler: requireUser(ctx),
      schema: {
        tags: ['me'],
        summary: 'Everything held about me, as JSON (docs/user-rights.md lists each field)',
        security: [{ bearer: [] }],
        response: { ...errorResponses(401, 503) },
      },
    },
    async (request, reply) => {
      const claims = authOf(request);
      const data = await exportUserData(ctx.store.db, claims.sub);
      if (!data) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
      await recordAuditEvent(ctx.store.db, { type: 'export', userId: claims.sub, appid: claims.aud, ip: request.ip });
      // The owner's own data, full phone number included: never cached on the way.
      reply.header('cache-control', 'no-store');
      return { exportedAt: ctx.now(), ...data };
    },
  );
}
