import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { announcer } from '../announce-changes.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { handleMediaCheckEvent, type MediaCheckOutcome } from './media-check-events.ts';
import { deliveryKey, openPush, PUSH_WINDOW_SECONDS, type PushQuery, PushRefused, verifyPushUrl } from './open-push.ts';
import { field } from './push-message.ts';
import { handleUserDataEvent, type PushOutcome } from './user-data-events.ts';

/** WeChat re-sends for a while after a missed answer; a delivery is remembered longer than that. */
const SEEN_TTL_MS = 15 * 60_000;
const PUSH_BODY_LIMIT = 64 * 1024;

const Params = Type.Object({ appid: Type.String({ pattern: '^wx[0-9a-zA-Z]{16}$' }) });

/**
 * WeChat's message push, one URL per app: GET answers the URL check, POST takes events. Every
 * push is verified before anything is done; what it did is answered `success` (WeChat's 5 s
 * deadline, §16.5), counted, and audited. A push we could not act on because the database is
 * away answers 503, so WeChat delivers it again (it retries a few times, never forever).
 */
export async function pushRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  if (ctx.config.push.length === 0) return;
  const appOf = (request: FastifyRequest<{ Params: { appid: string } }>) => {
    const push = ctx.config.push.find((p) => p.appid === request.params.appid);
    if (!push)
      throw new ApiError('NOT_FOUND', {
        en: `No message push is configured for ${request.params.appid} (WEAPP_PUSH).`,
        zh: `没有为 ${request.params.appid} 配置消息推送（见 WEAPP_PUSH）。`,
      });
    return push;
  };
  const refused = (err: unknown, event: string) => {
    if (!(err instanceof PushRefused)) return err;
    ctx.metrics.pushEvents.inc({ event, outcome: `refused_${err.reason}` });
    // The reason stays English inside the Chinese text: it names WeChat's own fields.
    const message = { en: `Push refused: ${err.message}.`, zh: `消息推送被拒绝：${err.message}。` };
    return new ApiError(err.reason === 'signature' ? 'UNAUTHORIZED' : 'INVALID_REQUEST', message);
  };

  await app.register(async (scope) => {
    // WeChat sends XML or JSON under either Content-Type (§16.7): the body is read as text and
    // sniffed, never parsed by the header.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: PUSH_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    scope.get<{ Params: { appid: string }; Querystring: PushQuery }>(
      '/wechat/push/:appid',
      {
        schema: {
          tags: ['push'],
          summary: "WeChat's URL check: answers echostr when signed with the token",
          params: Params,
        },
      },
      async (request, reply) => {
        const push = appOf(request);
        try {
          const echostr = verifyPushUrl(push, request.query, ctx.now());
          return reply.type('text/plain; charset=utf-8').send(echostr);
        } catch (err) {
          throw refused(err, 'url_check');
        }
      },
    );

    scope.post<{ Params: { appid: string }; Querystring: PushQuery; Body: string }>(
      '/wechat/push/:appid',
      {
        schema: {
          tags: ['push'],
          summary: `A WeChat push (plaintext, compatible or safe mode; JSON or XML), signed within ${PUSH_WINDOW_SECONDS} s`,
          params: Params,
        },
      },
      async (request, reply) => {
        const push = appOf(request);
        let message: ReturnType<typeof openPush>;
        try {
          message = openPush(push, request.query, typeof request.body === 'string' ? request.body : '', ctx.now());
        } catch (err) {
          throw refused(err, 'unknown');
        }
        const event = field(message, 'Event') ?? field(message, 'MsgType') ?? 'unknown';
        const seenKey = `push:seen:${push.appid}:${createHash('sha256').update(deliveryKey(message)).digest('base64url')}`;
        // Dedupe is best effort: every handler is idempotent, so a cache that is away costs a repeat.
        const seen = await ctx.cache.get(seenKey).catch(() => undefined);
        if (seen !== undefined) {
          ctx.metrics.pushEvents.inc({ event, outcome: 'duplicate' });
          return reply.type('text/plain; charset=utf-8').send('success');
        }
        let outcome: PushOutcome | MediaCheckOutcome;
        try {
          const deps = { db: ctx.store.db, media: ctx.media, now: ctx.now, announce: announcer(ctx) };
          outcome =
            event === 'wxa_media_check'
              ? await handleMediaCheckEvent(deps, push.appid, message)
              : await handleUserDataEvent(deps, push.appid, message);
        } catch (err) {
          ctx.metrics.pushEvents.inc({ event, outcome: 'failed' });
          request.log.error({ err, event }, 'push not processed; WeChat will deliver it again');
          throw err;
        }
        await ctx.cache.set(seenKey, '1', SEEN_TTL_MS).catch(() => {});
        ctx.metrics.pushEvents.inc({ event, outcome });
        request.log.info({ event, outcome }, 'push processed');
        return reply.type('text/plain; charset=utf-8').send('success');
      },
    );
  });
}
