import type { JsonObject } from './http.ts';
import type { AccessTokenCall } from './inputs.ts';
import { UnexpectedBodyError } from './responses.ts';

/** `media_check_async` v2 (wechat-api.md §7.2-7.3): what is sent, and what WeChat acknowledges. */
export interface MediaCheckAsyncInput extends AccessTokenCall {
  /** A URL WeChat's checker downloads itself: public, and alive until the verdict (up to 30 min). */
  mediaUrl: string;
  /** 1 audio, 2 image. */
  mediaType: 1 | 2;
  /** Must have opened the mini program within the last 2 hours (else errcode 61010). */
  openid: string;
  /** 1 profile, 2 comment, 3 forum, 4 social log. */
  scene: 1 | 2 | 3 | 4;
}

/**
 * Only an acknowledgement: errcode 0 means "accepted", never "passed". The verdict is pushed
 * later as `wxa_media_check` with this trace_id (§17.2); store it to match the push.
 */
export interface MediaCheckAsyncResult {
  traceId: string;
}

export function parseMediaCheckAsync(body: JsonObject): MediaCheckAsyncResult {
  const traceId = body.trace_id;
  if (typeof traceId !== 'string' || traceId === '') throw new UnexpectedBodyError('trace_id');
  return { traceId };
}
