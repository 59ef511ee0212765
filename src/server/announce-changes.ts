import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './context.ts';

/** `announce` for the user-rights steps: every instance drops what it keeps about the user. */
export function announcer(ctx: Pick<ServerContext, 'tokens'>): (userId: string) => Promise<void> {
  return (userId) => ctx.tokens.announce({ kind: 'user', id: userId });
}

/**
 * Every authenticated request that may write (not GET or HEAD) changes the caller's own user at
 * most — a nickname, an avatar, a phone number, a logout —, so before its answer leaves, every
 * instance is told to drop what it keeps about that user (TokenService.announce): the next
 * GET /v1/me anywhere reads the change. Revocations announce on their own path and fail the
 * request when they cannot (logout, DELETE /v1/me); here a bus that is away costs only a
 * profile shown stale for at most the cache's bound, so it is logged, not refused.
 */
export function announceUserChanges(app: FastifyInstance, ctx: Pick<ServerContext, 'tokens'>): void {
  // Callback style: a read (nearly every request) passes through without a promise.
  app.addHook('onSend', (request, _reply, payload, done) => {
    const claims = request.auth;
    if (!claims || request.method === 'GET' || request.method === 'HEAD') return done(null, payload);
    ctx.tokens.announce({ kind: 'user', id: claims.sub }).then(
      () => done(null, payload),
      (err: unknown) => {
        request.log.warn(
          { err: { message: (err as Error).message } },
          'could not announce a user change to other instances',
        );
        done(null, payload);
      },
    );
  });
}
