import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { recordAuditEvent } from '../../store/index.ts';
import { RefreshError } from '../../tokens/index.ts';
import { requireUser, sessionOf } from '../authenticate.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { errorResponses, TokensSchema } from '../schemas.ts';
import { clientMeta } from './login.ts';

const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

/** Flow 6: refresh rotation with reuse detection, and logout. */
export async function sessionRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.post<{ Body: Static<typeof RefreshBody> }>(
    '/v1/token/refresh',
    {
      config: { rateLimit: { max: ctx.config.loginRateLimitPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['tokens'],
        summary: 'Trade a refresh token for a new pair (the old refresh token stops working)',
        body: RefreshBody,
        response: {
          200: Type.Object(TokensSchema),
          ...errorResponses('REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_REUSED', 'DATABASE_UNAVAILABLE'),
        },
      },
    },
    async (request) => {
      try {
        const tokens = await ctx.tokens.refresh(request.body.refreshToken, clientMeta(request));
        return {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          tokenType: 'Bearer' as const,
          expiresIn: tokens.expiresIn,
        };
      } catch (err) {
        if (err instanceof RefreshError) throw new ApiError(err.code, err.message);
        throw err;
      }
    },
  );

  app.post(
    '/v1/logout',
    {
      preHandler: requireUser(ctx),
      // A website's session (scan-to-login) ends here too (./openapi.ts reads this).
      config: { webSession: true },
      schema: {
        tags: ['tokens'],
        summary: 'End this session: its refresh tokens and (on this server) its access tokens stop working',
        security: [{ bearer: [] }],
        response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errorResponses('DATABASE_UNAVAILABLE') },
      },
    },
    async (request) => {
      // A website's session (scan-to-login) logs out here too.
      const claims = sessionOf(request);
      await ctx.tokens.revoke(claims.sid);
      await recordAuditEvent(ctx.store.db, { type: 'logout', userId: claims.sub, appid: claims.aud, ip: request.ip });
      return { ok: true as const };
    },
  );
}
