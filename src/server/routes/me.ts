import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../authenticate.ts';
import type { ServerContext } from '../context.ts';
import { currentIdentity, currentUser } from '../current-user.ts';
import { ApiError } from '../errors.ts';
import { saveProfile } from '../login/login-flow.ts';
import { decryptWithStoredKeys } from '../login/open-data.ts';
import { errorResponses, MeResponse, OPEN_DATA_ERRORS, OpenDataFields } from '../schemas.ts';
import { meView, nextSteps, userView } from '../views.ts';

// The whole wx.getUserInfo result may be posted as is: userInfo, errMsg and cloudID are ignored.
const UserInfoBody = Type.Object(OpenDataFields);

/** GET /v1/me and flow 3, the legacy user info. */
export async function meRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get(
    '/v1/me',
    {
      preHandler: requireUser(ctx, { loadUser: true }),
      // A website's session (scan-to-login) reads its user here too.
      config: { webSession: true },
      schema: {
        tags: ['me'],
        summary: 'The logged-in user, with the phone number (to its owner only)',
        security: [{ bearer: [] }],
        response: { 200: MeResponse, ...errorResponses('DATABASE_UNAVAILABLE') },
      },
    },
    // A value, not a promise, when requireUser brought the user: answered in the same turn.
    (request) => (request.authUser ? meView(request.authUser) : currentUser(ctx, request).then(meView)),
  );

  app.post<{ Body: Static<typeof UserInfoBody> }>(
    '/v1/me/userinfo',
    {
      preHandler: requireUser(ctx),
      schema: {
        tags: ['me'],
        summary: 'Store wx.getUserInfo / getUserProfile output, decrypted with the session_key held here',
        security: [{ bearer: [] }],
        body: UserInfoBody,
        response: { 200: MeResponse, ...errorResponses(...OPEN_DATA_ERRORS, 'DATABASE_UNAVAILABLE') },
      },
    },
    async (request) => {
      const identity = await currentIdentity(ctx, request);
      const data = decryptWithStoredKeys(ctx.store, identity, request.body, {
        maxAgeSeconds: ctx.config.openDataMaxAgeSeconds,
        metrics: ctx.metrics,
        now: ctx.now(),
      });
      // The data must be about the user of this session: getUserInfo carries the openId.
      if (typeof data.openId === 'string' && data.openId !== identity.openid) {
        throw new ApiError('WATERMARK_MISMATCH', {
          en: 'The data describes another WeChat user than the one logged in.',
          zh: '这份数据属于另一个微信用户，而不是当前登录的用户。',
        });
      }
      const user = await saveProfile(ctx, await currentUser(ctx, request), data);
      return { user: userView(user), next: nextSteps(user) };
    },
  );
}
