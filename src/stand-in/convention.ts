/** What a wx API's `fail` callback receives. */
export interface WxFailResult {
  errMsg: string;
  /** Where WeChat gives one: 104/112 privacy consent, 1400001 phone quota, 600001 request. */
  errno?: number;
}

/** Thrown inside the stand-in to answer a wx call with `fail`. */
export class WxFail extends Error {
  readonly errMsg: string;
  readonly errno: number | undefined;
  constructor(errMsg: string, errno?: number) {
    super(errMsg);
    this.errMsg = errMsg;
    this.errno = errno;
  }

  get result(): WxFailResult {
    return this.errno === undefined ? { errMsg: this.errMsg } : { errMsg: this.errMsg, errno: this.errno };
  }
}

export interface WxCallbacks<R> {
  success?: (result: R) => void;
  fail?: (result: WxFailResult) => void;
  complete?: (result: R | WxFailResult) => void;
}

/** One step of a wx call, for traces and tests: the call, then its `ok` or `fail`. */
export interface WxCallEvent {
  /** Pairs a call with its outcome. */
  id: number;
  api: string;
  phase: 'call' | 'ok' | 'fail';
  /** The options without callbacks; the result; or `{errMsg}`. */
  detail: Record<string, unknown>;
}

export function withoutCallbacks(options: object | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => typeof v !== 'function'));
}

/**
 * A user tap as WeChat tracks it: APIs that need one (openSetting, getUserProfile) work only
 * when called synchronously inside a tap handler. Stricter than a time window, so code that works
 * here works on the phone.
 */
export class TapGesture {
  #depth = 0;

  get active(): boolean {
    return this.#depth > 0;
  }

  run<T>(fn: () => T): T {
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
    }
  }
}

export type Deliver = (callback: () => void) => void;

/**
 * WeChat's convention for async APIs: given any callback, the outcome goes to success or fail and
 * then complete, and nothing is returned; given none, a promise. `deliver` runs the callbacks
 * (showModal delivers inside a tap: the user just tapped a button).
 */
export function answer<R>(
  api: string,
  options: WxCallbacks<R> | undefined,
  run: () => Promise<R>,
  deliver: Deliver = (callback) => callback(),
): Promise<R> | undefined {
  const outcome = run().catch((err: unknown) => {
    throw err instanceof WxFail ? err : new WxFail(`${api}:fail ${(err as Error)?.message ?? String(err)}`);
  });
  const { success, fail, complete } = options ?? {};
  if (!success && !fail && !complete) {
    return outcome.catch((err: WxFail) => Promise.reject(err.result));
  }
  outcome.then(
    (result) =>
      deliver(() => {
        success?.(result);
        complete?.(result);
      }),
    (err: WxFail) =>
      deliver(() => {
        const result = err.result;
        fail?.(result);
        complete?.(result);
      }),
  );
  return undefined;
}
