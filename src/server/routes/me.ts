import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { findIdentityForUser, findUserById, type User } from '../../store/index.ts';
import { authOf, requireUser } from '../authenticate.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { saveProfile } from '../login/login-flow.ts';
import { decryptWithStoredKeys } from '../login/open-data.ts';
import { errorResponses, OpenDataFields, UserSchema } from '../schemas.ts';
import { nextSteps, userView } from '../views.ts';

// The whole wx.getUserInfo result may be posted as is: userInfo, errMsg and cloudID are ignored.
const UserInfoBody = Type.Object(OpenDataFields);
const MeResponse = Type.Object({ user: UserSchema, next: Type.Array(Type.String()) });

/** GET /v1/me and flow 3, the legacy user info. */
export async function meRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const currentUser = async (userId: string): Promise<User> => {
    const user = await findUserById(ctx.store.db, userId);
    if (!user) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
    return user;
  };

  app.get(
    '/v1/me',
    {
      preHandler: requireUser(ctx),
      schema: {
        tags: ['me'],
        summary: 'The logged-in user, with the phone number (to its owner only)',
        security: [{ bearer: [] }],
        response: { 200: MeResponse, ...errorResponses(401) },
      },
    },
    async (request) => {
      const user = await currentUser(authOf(request).sub);
      return { user: userView(user), next: nextSteps(user) };
    },
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
        response: { 200: MeResponse, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const claims = authOf(request);
      const identity = await findIdentityForUser(ctx.store.db, claims.sub, claims.aud);
      if (!identity) throw new ApiError('SESSION_REVOKED', 'No WeChat identity for this session; log in again.');
      const data = decryptWithStoredKeys(ctx.store, identity, request.body, {
        maxAgeSeconds: ctx.config.openDataMaxAgeSeconds,
        metrics: ctx.metrics,
        now: ctx.now(),
      });
      // The data must be about the user of this session: getUserInfo carries the openId.
      if (typeof data.openId === 'string' && data.openId !== identity.openid) {
        throw new ApiError('WATERMARK_MISMATCH', 'The data describes another WeChat user than the one logged in.');
      }
      const user = await saveProfile(ctx, await currentUser(claims.sub), data);
      return { user: userView(user), next: nextSteps(user) };
    },
  );
}
