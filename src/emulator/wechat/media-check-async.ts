import { WxError } from '../errcodes.ts';
import { appOfToken, contentSecurityCall, requireVisitor } from './guards.ts';
import type { WechatEndpoint } from './route.ts';

/**
 * POST /wxa/media_check_async?access_token=… (wechat-api.md §7.2-7.3): accepts the media, answers
 * a trace_id at once, and pushes the verdict later (`wxa_media_check`, push/media-checks.ts).
 * A request without `version` is v1, and its push has the v1 fields.
 */
export const mediaCheckAsync: WechatEndpoint = {
  api: 'media_check_async',
  url: '/wxa/media_check_async',
  methods: ['POST'],
  appOf: appOfToken,
  handle(call) {
    const { limits } = call.state.options;
    const { appid, body } = contentSecurityCall(call, 'media_check_async', {
      perMinute: limits.mediaCheckAsyncPerMinute,
      perDay: limits.mediaCheckAsyncPerDay,
    });
    const { media_url: mediaUrl, media_type: mediaType } = body;
    if (typeof mediaUrl !== 'string' || mediaUrl === '') throw new WxError(47001);
    if (mediaType !== 1 && mediaType !== 2) throw new WxError(40004);
    if (body.version === undefined) {
      // v1 knows neither scene nor openid; its verdict reaches the app all the same.
      const traceId = call.state.mediaChecks.submit({
        appid,
        openid: '',
        user: '',
        mediaUrl,
        mediaType,
        scene: 0,
        version: 1,
      });
      return { errcode: 0, errmsg: 'ok', trace_id: traceId };
    }
    if (body.version !== 2) throw new WxError(40097);
    const scene = body.scene;
    if (scene !== 1 && scene !== 2 && scene !== 3 && scene !== 4) throw new WxError(40129);
    const account = requireVisitor(call, appid, body.openid);
    const traceId = call.state.mediaChecks.submit({
      appid,
      openid: account.openid,
      user: account.user,
      mediaUrl,
      mediaType,
      scene,
      version: 2,
    });
    return { errcode: 0, errmsg: 'ok', trace_id: traceId };
  },
};
