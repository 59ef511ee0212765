import { isWeChatApiError, isWeChatTransportError } from '../wechat/client/index.ts';
import { ApiError } from './errors.ts';

/**
 * Maps a failed WeChat call to our API error. The client already retried what was safe to retry,
 * so "busy" here means WeChat stayed busy. Returns undefined for anything that is not a WeChat failure.
 */
export function fromWeChatError(err: unknown): ApiError | undefined {
  if (isWeChatTransportError(err)) {
    return new ApiError('WECHAT_UNAVAILABLE', {
      en: `WeChat did not answer ${err.api} (${err.kind}); retry shortly.`,
      zh: `微信没有响应 ${err.api}（${err.kind}），请稍后重试。`,
    });
  }
  if (!isWeChatApiError(err)) return undefined;
  const details = { errcode: err.errcode, ...(err.rid && { rid: err.rid }) };
  switch (err.category) {
    case 'invalid_code':
      if (err.api === 'getPhoneNumber') return phoneCodeRefused(err.meaning, details);
      return err.errcode === 40163
        ? new ApiError('CODE_USED', undefined, details)
        : new ApiError('INVALID_CODE', undefined, details);
    case 'code_blocked':
      return new ApiError('CODE_BLOCKED', undefined, details);
    case 'rate_limited':
    case 'quota_exceeded':
      return new ApiError(
        'WECHAT_RATE_LIMITED',
        {
          en: `WeChat limited ${err.api}: ${err.meaning}.`,
          zh: `微信限制了 ${err.api} 的调用（${err.meaning}），请稍后重试。`,
        },
        details,
      );
    case 'busy':
      return new ApiError('WECHAT_UNAVAILABLE', undefined, details);
    case 'invalid_openid':
      // getuserphonenumber checks the code against the openid we send: the code is someone else's.
      if (err.api === 'getPhoneNumber') return phoneCodeRefused('it was issued to another WeChat user', details);
      return wechatFailed(err.api, err.meaning, details);
    case 'credentials_invalid':
    case 'ip_not_allowed':
    case 'permission_denied':
      return new ApiError(
        'WECHAT_CONFIG_ERROR',
        {
          en: `${err.api}: ${err.meaning}. ${ApiErrorHint}`,
          zh: `${err.api}：${err.meaning}。请检查 WEAPP_APPS 和小程序管理后台的 IP 白名单。`,
        },
        details,
      );
    default:
      return wechatFailed(err.api, err.meaning, details);
  }
}

const ApiErrorHint = 'Check WEAPP_APPS and the IP whitelist in the mini program admin console.';

/** WeChat's `meaning` of an errcode is English (./wechat/client/errcodes.ts); the Chinese keeps it. */
function wechatFailed(api: string, meaning: string, details: Record<string, unknown>): ApiError {
  return new ApiError(
    'WECHAT_ERROR',
    { en: `WeChat ${api} failed: ${meaning}.`, zh: `微信 ${api} 调用失败：${meaning}。` },
    details,
  );
}

function phoneCodeRefused(reason: string, details: Record<string, unknown>): ApiError {
  return new ApiError(
    'INVALID_PHONE_CODE',
    {
      en: `WeChat refused the phone code: ${reason}. Ask the user to tap the phone button again.`,
      zh: `微信拒绝了这个手机号 code：${reason}。请让用户重新点击手机号按钮。`,
    },
    details,
  );
}
