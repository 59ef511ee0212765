import type { Identity, PhoneNumber, Store } from '../../store/index.ts';
import type { AccessTokenManager, WeChatClient } from '../../wechat/client/index.ts';
import { ApiError } from '../errors.ts';
import { decryptWithStoredKeys, type OpenDataInput } from '../login/open-data.ts';
import type { Metrics } from '../metrics.ts';
import { fromWeChatError } from '../wechat-errors.ts';

export interface PhoneDeps {
  wechat: WeChatClient;
  accessTokens: AccessTokenManager;
}

/**
 * The number behind a phone code (getPhoneNumber button, base library 2.21.2+), asked with this
 * app's managed access token. The user's openid goes along, so WeChat refuses a code that some
 * other user's phone produced (a code intercepted or replayed into another account).
 */
export async function phoneByCode(
  deps: PhoneDeps,
  who: { appid: string; openid: string },
  code: string,
): Promise<PhoneNumber> {
  try {
    const info = await deps.accessTokens.withAccessToken(who.appid, (accessToken) =>
      deps.wechat.getPhoneNumber({ accessToken, appid: who.appid, code, openid: who.openid }),
    );
    if (info.watermark.appid !== who.appid) {
      throw new ApiError('WATERMARK_MISMATCH', 'WeChat answered with a phone number authorized for another app.');
    }
    return checkedPhone(info.purePhoneNumber, info.countryCode, 'WECHAT_ERROR');
  } catch (err) {
    throw fromWeChatError(err) ?? err;
  }
}

/**
 * The number from the button's legacy `{encryptedData, iv}`, decrypted with the session_key held
 * for this identity (or the one before it, when the client raced wx.login).
 */
export function phoneFromOpenData(
  deps: { store: Store; metrics: Metrics; openDataMaxAgeSeconds: number; now: () => number },
  identity: Identity,
  input: OpenDataInput,
): PhoneNumber {
  const data = decryptWithStoredKeys(deps.store, identity, input, {
    maxAgeSeconds: deps.openDataMaxAgeSeconds,
    metrics: deps.metrics,
    now: deps.now(),
  });
  return checkedPhone(data.purePhoneNumber, data.countryCode, 'INVALID_PLAINTEXT');
}

const PURE = /^\d{4,20}$/;
const COUNTRY = /^\d{1,4}$/;

function checkedPhone(pure: unknown, country: unknown, code: 'WECHAT_ERROR' | 'INVALID_PLAINTEXT'): PhoneNumber {
  const countryCode = typeof country === 'number' ? String(country) : country;
  if (typeof pure !== 'string' || !PURE.test(pure) || typeof countryCode !== 'string' || !COUNTRY.test(countryCode)) {
    throw new ApiError(code, 'The phone data lacks a purePhoneNumber and countryCode of digits.');
  }
  return { phoneNumber: pure, countryCode };
}
