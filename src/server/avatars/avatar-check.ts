import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.ts';
import type { AvatarReview } from '../../store/users.ts';
import {
  type AccessTokenManager,
  isWeChatApiError,
  isWeChatTransportError,
  type WeChatClient,
} from '../../wechat/client/index.ts';
import { ApiError } from '../errors.ts';

export interface AvatarCheckDeps {
  config: Pick<Config, 'contentCheck' | 'contentCheckFailure' | 'push'>;
  wechat: WeChatClient;
  accessTokens: AccessTokenManager;
  log: Pick<FastifyBaseLogger, 'warn' | 'error'>;
}

/** Where a new avatar stands once submitted, and the trace_id its verdict will carry. */
export interface AvatarSubmission {
  review: AvatarReview | null;
  check?: { appid: string; traceId: string };
}

/**
 * With CONTENT_CHECK on, hands a freshly stored avatar to WeChat's media_check_async v2 (the
 * public URL, the user's openid, scene 1 "profile"; wechat-api.md §7.3). WeChat answers only a
 * trace_id; the avatar shows as under review until the `wxa_media_check` push decides it. When
 * WeChat cannot take the request, CONTENT_CHECK_FAILURE decides: `open` keeps the avatar flagged
 * for a person's review, `closed` refuses the upload.
 */
export async function submitAvatarCheck(
  deps: AvatarCheckDeps,
  who: { appid: string; openid: string },
  avatarUrl: string,
): Promise<AvatarSubmission> {
  if (deps.config.contentCheck === 'off') return { review: null };
  if (!deps.config.push.some((p) => p.appid === who.appid)) {
    // The verdict comes only by message push: without one the avatar would wait for it forever.
    deps.log.warn(
      { appid: who.appid },
      'CONTENT_CHECK=on but WEAPP_PUSH has no message push for this app: avatars are not checked',
    );
    return { review: null };
  }
  try {
    const { traceId } = await deps.accessTokens.withAccessToken(who.appid, (accessToken) =>
      deps.wechat.mediaCheckAsync({
        accessToken,
        appid: who.appid,
        mediaUrl: avatarUrl,
        mediaType: 2,
        openid: who.openid,
        scene: 1,
      }),
    );
    return { review: 'pending', check: { appid: who.appid, traceId } };
  } catch (err) {
    if (!isWeChatApiError(err) && !isWeChatTransportError(err)) throw err;
    const fields = isWeChatApiError(err)
      ? { errcode: err.errcode, rid: err.rid, category: err.category }
      : { kind: err.kind };
    const log = isWeChatApiError(err) && err.isConfigurationError ? deps.log.error : deps.log.warn;
    log.call(
      deps.log,
      { appid: who.appid, policy: deps.config.contentCheckFailure, ...fields },
      'avatar check not submitted',
    );
    if (deps.config.contentCheckFailure === 'closed') {
      throw new ApiError(
        'CONTENT_CHECK_UNAVAILABLE',
        undefined,
        isWeChatApiError(err) ? { errcode: err.errcode } : undefined,
      );
    }
    return { review: 'review' };
  }
}
