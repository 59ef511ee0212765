import { AuthError, wxFailureCode } from './errors.ts';
import { type Session, storeUser } from './session.ts';
import type { AuthUser } from './types.ts';

/**
 * `e.detail` of `<button open-type="getPhoneNumber" bindgetphonenumber>` (quick verification) or
 * `<button open-type="getRealtimePhoneNumber" bindgetrealtimephonenumber>` (real-time), any base library.
 */
export interface PhoneNumberDetail {
  /** "getPhoneNumber:ok" / "getRealtimePhoneNumber:ok", or why not: "…:fail user deny", "…:fail no permission"… */
  errMsg: string;
  /** The phone code (base library 2.21.2+): 5 minutes, once. */
  code?: string | undefined;
  /** The legacy form, sealed with the user's session_key. */
  encryptedData?: string | undefined;
  iv?: string | undefined;
  cloudID?: string | undefined;
  /** On failures: 1400001 the app's quota is spent, 104/112 privacy consent. */
  errno?: number | undefined;
}

/** Which button produced the code: both are billed, at different prices (wechat-api.md §21). */
export type PhoneVerification = 'quick' | 'realtime';

/** The button's event, or its `detail`. */
export type PhoneNumberEvent = { detail: PhoneNumberDetail } | PhoneNumberDetail;

/** Both spellings: "getPhoneNumber:fail user deny" (iOS, DevTools), "getPhoneNumber:fail:user deny" (Android). */
const USER_DENY = /:fail[: ]?user deny/i;

function detailOf(event: PhoneNumberEvent): Partial<PhoneNumberDetail> {
  const inner = (event as { detail?: unknown } | null)?.detail;
  const detail = inner && typeof inner === 'object' ? inner : event;
  return detail && typeof detail === 'object' ? (detail as Partial<PhoneNumberDetail>) : {};
}

/** A button that did not give a number: refused here, with no request. */
function refusal(detail: Partial<PhoneNumberDetail>): AuthError {
  const errMsg = typeof detail.errMsg === 'string' ? detail.errMsg : 'getPhoneNumber:fail no errMsg in the event';
  const errno = typeof detail.errno === 'number' ? detail.errno : undefined;
  const init = { errMsg, ...(errno !== undefined && { details: { errno } }) };
  if (USER_DENY.test(errMsg) && errno !== 1400001) {
    return new AuthError('PHONE_DENIED', 'The user declined to share the phone number.', init);
  }
  const code = wxFailureCode(errMsg, errno);
  const message =
    code === 'PHONE_QUOTA_EXHAUSTED' ? "The mini program's phone-number quota is spent (errno 1400001)." : errMsg;
  return new AuthError(code, message, init);
}

/** The real-time button's events say so in their errMsg ("getRealtimePhoneNumber:ok"). */
function verificationOf(detail: Partial<PhoneNumberDetail>): PhoneVerification {
  return /^getRealtimePhoneNumber:/i.test(detail.errMsg ?? '') ? 'realtime' : 'quick';
}

/**
 * The getPhoneNumber button's number stored on the server: `{code}` to POST /v1/me/phone, or the
 * legacy `{encryptedData, iv}` (no wx.login of this SDK meanwhile: it could replace the
 * session_key that sealed them). A refused code (INVALID_PHONE_CODE) is never tried again: each
 * costs money, and only a new tap gives a new one. A 401 is renewed and sent once more (the server
 * had not looked at the code).
 */
export async function bindPhone(session: Session, event: PhoneNumberEvent): Promise<AuthUser> {
  const detail = detailOf(event);
  if (typeof detail.errMsg !== 'string' || !detail.errMsg.endsWith(':ok')) throw refusal(detail);
  if (detail.code) {
    const data = { code: detail.code, verification: verificationOf(detail) };
    const options = { url: '/v1/me/phone', method: 'POST', data } as const;
    return storeUser(session, await session.authorized((token) => session.send(options, token)));
  }
  if (detail.encryptedData && detail.iv) {
    const data = { encryptedData: detail.encryptedData, iv: detail.iv };
    const options = { url: '/v1/me/phone', method: 'POST', data } as const;
    const res = await session.authorized((token) => session.holdingSessionKey(() => session.send(options, token)));
    return storeUser(session, res);
  }
  throw new AuthError('WX_API_FAILED', 'The phone button event holds neither a code nor encryptedData and iv.', {
    errMsg: detail.errMsg,
  });
}
