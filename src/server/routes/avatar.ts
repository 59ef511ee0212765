import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authOf, requireUser } from '../authenticate.ts';
import { submitAvatarCheck } from '../avatars/avatar-check.ts';
import { readUpload, type UploadLimits, uploadError } from '../avatars/read-upload.ts';
import { saveAvatar } from '../avatars/save-avatar.ts';
import { sniffImage } from '../avatars/sniff-image.ts';
import type { ServerContext } from '../context.ts';
import { errorResponses, MeResponse } from '../schemas.ts';
import { nextSteps, userView } from '../views.ts';

/**
 * PUT /v1/me/avatar, and POST for wx.uploadFile (which can only POST): the image from the
 * chooseAvatar button, as multipart/form-data or as the raw body. Multipart and raw parsing exist
 * in this scope only; every other route still takes JSON alone.
 */
export async function avatarRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const limits: UploadLimits = { field: ctx.config.avatarField, maxBytes: ctx.config.avatarMaxBytes };

  await app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: limits.maxBytes, files: 1, fields: 20, fieldSize: 4096, parts: 21, headerPairs: 50 },
    });
    const rawImage = { parseAs: 'buffer' as const, bodyLimit: limits.maxBytes };
    const keepBuffer = (_request: FastifyRequest, body: Buffer | string, done: (err: null, body: unknown) => void) =>
      done(null, body);
    scope.addContentTypeParser('application/octet-stream', rawImage, keepBuffer);
    scope.addContentTypeParser(/^image\/[a-z0-9.+-]+$/i, rawImage, keepBuffer);
    // Size and shape failures are answered in upload terms; the app's handler writes the answer.
    scope.setErrorHandler((err) => {
      throw uploadError(err, limits) ?? err;
    });

    const handler = async (request: FastifyRequest, _reply: FastifyReply) => {
      const bytes = await readUpload(request, limits);
      const type = await sniffImage(bytes);
      const auth = authOf(request);
      const user = await saveAvatar(ctx, auth.sub, bytes, type, (avatarUrl) =>
        submitAvatarCheck({ ...ctx, log: request.log }, { appid: auth.aud, openid: auth.openid }, avatarUrl),
      );
      ctx.metrics.avatarUploads.inc({ type: type.ext });
      return { user: userView(user), next: nextSteps(user) };
    };
    const schema = {
      tags: ['me'],
      security: [{ bearer: [] }],
      description:
        `The image as multipart/form-data in the field "${limits.field}" (what wx.uploadFile sends), or as the raw ` +
        `body with Content-Type image/* or application/octet-stream. PNG, JPEG, WebP or GIF, judged by content; ` +
        `at most ${limits.maxBytes} bytes. The answer's user.avatarUrl points at the stored file.`,
      response: {
        200: MeResponse,
        ...errorResponses(
          'INVALID_REQUEST',
          'IMAGE_TOO_LARGE',
          'UNSUPPORTED_MEDIA_TYPE',
          'UNSUPPORTED_IMAGE_TYPE',
          'MEDIA_UNAVAILABLE',
          'CONTENT_CHECK_UNAVAILABLE',
          'DATABASE_UNAVAILABLE',
        ),
      },
    };
    // Checked on arrival, so a stranger's upload is refused before its bytes are read.
    const options = { onRequest: requireUser(ctx) };
    scope.put('/v1/me/avatar', { ...options, schema: { ...schema, summary: 'Upload the avatar' } }, handler);
    scope.post(
      '/v1/me/avatar',
      { ...options, schema: { ...schema, summary: 'Upload the avatar (wx.uploadFile always POSTs)' } },
      handler,
    );
  });
}
