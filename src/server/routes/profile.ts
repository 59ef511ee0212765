import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authOf, requireUser } from '../authenticate.ts';
import type { ServerContext } from '../context.ts';
import { checkNickname } from '../profile/content-check.ts';
import { NICKNAME_MAX_LENGTH, normalizeNickname } from '../profile/nickname.ts';
import { saveNickname } from '../profile/save-nickname.ts';
import { errorResponses, MeResponse } from '../schemas.ts';
import { nextSteps, userView } from '../views.ts';

const ProfileBody = Type.Object(
  {
    nickname: Type.String({
      // The real limit (in characters as people count them) is checked after trimming.
      maxLength: 256,
      description: `From <input type="nickname">; trimmed, 1-${NICKNAME_MAX_LENGTH} characters`,
    }),
  },
  { additionalProperties: false },
);
type ProfileBody = Static<typeof ProfileBody>;

/**
 * PATCH /v1/me: the nickname from the fill-in component, checked by WeChat when CONTENT_CHECK is
 * on. POST /v1/me is the same handler: wx.request's methods do not include PATCH.
 */
export async function profileRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const handler = async (request: FastifyRequest<{ Body: ProfileBody }>) => {
    const claims = authOf(request);
    const nickname = normalizeNickname(request.body.nickname);
    const check = await checkNickname(
      { ...ctx, log: request.log },
      { appid: claims.aud, openid: claims.openid },
      nickname,
    );
    const user = await saveNickname(ctx, claims.sub, nickname, check);
    return { user: userView(user), next: nextSteps(user) };
  };
  const options = (summary: string) => ({
    preHandler: requireUser(ctx),
    schema: {
      tags: ['me'],
      summary,
      security: [{ bearer: [] }],
      body: ProfileBody,
      response: {
        200: MeResponse,
        ...errorResponses('INVALID_NICKNAME', 'CONTENT_RISKY', 'CONTENT_CHECK_UNAVAILABLE', 'DATABASE_UNAVAILABLE'),
      },
    },
  });
  app.patch<{ Body: ProfileBody }>(
    '/v1/me',
    options('Set the nickname (content-checked with msg_sec_check when CONTENT_CHECK=on)'),
    handler,
  );
  app.post<{ Body: ProfileBody }>('/v1/me', options('The same as PATCH /v1/me, for wx.request (no PATCH)'), handler);
}
