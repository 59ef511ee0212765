import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.ts';
import {
  type AccessTokenManager,
  isWeChatApiError,
  isWeChatTransportError,
  type MsgSecCheckResult,
  type WeChatApiError,
  type WeChatClient,
  type WeChatTransportError,
} from '../../wechat/client/index.ts';
import { ApiError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';

export interface ContentCheckDeps {
  config: Pick<Config, 'contentCheck' | 'contentCheckFailure'>;
  wechat: WeChatClient;
  accessTokens: AccessTokenManager;
  metrics: Metrics;
  log: Pick<FastifyBaseLogger, 'warn' | 'error'>;
}

/** msg_sec_check's labels (wechat-api.md §7.1), named for the error a client shows. */
const LABELS: Readonly<Record<number, string>> = {
  100: 'normal',
  10001: 'advertising',
  20001: 'politics',
  20002: 'pornography',
  20003: 'abuse',
  20006: 'illegal or criminal',
  20008: 'fraud',
  20012: 'vulgar',
  20013: 'copyright',
  21000: 'other',
};

/**
 * Whether a nickname may be stored, and whether it needs a person's review. With CONTENT_CHECK on,
 * WeChat's msg_sec_check v2 decides (scene 1, profile; the user's own openid in the app of the
 * token): `risky` is refused, `review` is stored flagged. When WeChat cannot answer, the
 * CONTENT_CHECK_FAILURE policy decides: `open` stores the name flagged for review, `closed` refuses.
 */
export async function checkNickname(
  deps: ContentCheckDeps,
  who: { appid: string; openid: string },
  nickname: string,
): Promise<{ underReview: boolean }> {
  if (deps.config.contentCheck === 'off') return { underReview: false };
  let verdict: MsgSecCheckResult;
  try {
    verdict = await deps.accessTokens.withAccessToken(who.appid, (accessToken) =>
      deps.wechat.msgSecCheck({
        accessToken,
        appid: who.appid,
        openid: who.openid,
        scene: 1,
        content: nickname,
        nickname,
      }),
    );
  } catch (err) {
    if (!isWeChatApiError(err) && !isWeChatTransportError(err)) throw err;
    return checkFailed(deps, who.appid, err);
  }
  deps.metrics.contentChecks.inc({ result: verdict.suggest });
  if (verdict.suggest === 'risky') {
    const label = LABELS[verdict.label] ?? `label ${verdict.label}`;
    throw new ApiError(
      'CONTENT_RISKY',
      {
        en: `WeChat's content check refused the nickname (${label}); ask the user for another.`,
        zh: `微信内容安全检测未通过这个昵称（${label}），请让用户换一个。`,
      },
      { label: verdict.label, traceId: verdict.traceId },
    );
  }
  return { underReview: verdict.suggest === 'review' };
}

function checkFailed(
  deps: ContentCheckDeps,
  appid: string,
  err: WeChatApiError | WeChatTransportError,
): { underReview: boolean } {
  deps.metrics.contentChecks.inc({ result: 'error' });
  const fields = { appid, policy: deps.config.contentCheckFailure, ...describe(err) };
  // A permission or credential problem will not pass by itself: someone has to act.
  if (isWeChatApiError(err) && err.isConfigurationError) deps.log.error(fields, 'nickname content check failed');
  else deps.log.warn(fields, 'nickname content check failed');
  if (deps.config.contentCheckFailure === 'closed') {
    const details = isWeChatApiError(err) ? { errcode: err.errcode } : undefined;
    throw new ApiError('CONTENT_CHECK_UNAVAILABLE', undefined, details);
  }
  return { underReview: true };
}

function describe(err: WeChatApiError | WeChatTransportError): Record<string, unknown> {
  return isWeChatApiError(err) ? { errcode: err.errcode, rid: err.rid, category: err.category } : { kind: err.kind };
}
