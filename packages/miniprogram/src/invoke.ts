import { AuthError, wxFailureCode } from './errors.ts';

export interface Settle<R> {
  success: (result: R) => void;
  fail: (err: unknown) => void;
}

function errMsgOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'errMsg' in err && typeof err.errMsg === 'string') return err.errMsg;
  return undefined;
}

function errnoOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'errno' in err && typeof err.errno === 'number') return err.errno;
  return undefined;
}

/** A wx failure (`{errMsg, errno?}`), a rejected promise or a thrown error, as an AuthError. */
export function wxFailure(api: string, err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  const errMsg = errMsgOf(err) ?? `${api}:fail ${err instanceof Error ? err.message : String(err)}`;
  const errno = errnoOf(err);
  const init = { errMsg, ...(errno !== undefined && { details: { errno } }) };
  if (isNetworkFailure(api, errMsg)) return new AuthError('NETWORK_ERROR', errMsg, init);
  return new AuthError(wxFailureCode(errMsg, errno), errMsg, init);
}

/**
 * A call to a server that got no answer: every failed wx.request, and a failed wx.uploadFile
 * unless its temporary file is the problem (no retry mends that).
 */
function isNetworkFailure(api: string, errMsg: string): boolean {
  if (api === 'request') return true;
  return api === 'uploadFile' && !/\bfile\b/i.test(errMsg.slice('uploadFile'.length));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Calls a wx-style async API and settles on its callbacks. `start` runs synchronously, so an API
 * that needs a user tap (openSetting, getUserProfile) can be invoked from a tap handler.
 * Callback-style `wx` answers through success/fail; promise-style objects (Taro, uni-app) may
 * return a promise as well, which settles us too and whose rejection must not go unhandled.
 */
export function invoke<R>(api: string, start: (settle: Settle<R>) => unknown): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const success = (result: R) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(wxFailure(api, err));
    };
    let returned: unknown;
    try {
      returned = start({ success, fail });
    } catch (err) {
      fail(err);
      return;
    }
    if (isThenable(returned)) returned.then((r) => success(r as R), fail);
  });
}
