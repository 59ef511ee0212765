import { WxFail } from './convention.ts';

type Json = Record<string, unknown>;

/** The emulator's phone API (/__emulator/<wx API>) for one app and one WeChat user. */
export interface EmulatorPhone {
  /** The answer as the phone gets it: `errMsg` ending in ":ok", or a WxFail with WeChat's errMsg. */
  call<R>(name: string, body: Json): Promise<R>;
  /** The answer whatever its errMsg: buttons hand failures to the page in `e.detail`, not in `fail`. */
  answer(name: string, body: Json): Promise<Json & { errMsg: string }>;
  /** The app's phone-number billing: successful callbacks by button, and the quota left. */
  phoneUsage(): Promise<{ quick: number; realtime: number; remaining: number }>;
}

export function emulatorPhone(emulatorUrl: string, appid: string, user: string, fetcher: typeof fetch): EmulatorPhone {
  const emulator = emulatorUrl.replace(/\/+$/, '');

  async function exchange(name: string, body: Json): Promise<{ res: Response; body: Json }> {
    let res: Response;
    try {
      res = await fetcher(`${emulator}/__emulator/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid, user, ...body }),
      });
    } catch (err) {
      throw new WxFail(`${name}:fail the emulator at ${emulator} did not answer (${(err as Error).message})`);
    }
    return { res, body: (await res.json().catch(() => ({}))) as Json };
  }

  const failure = (name: string, res: Response, body: Json) =>
    new WxFail(
      typeof body.errMsg === 'string'
        ? body.errMsg
        : `${name}:fail ${String(body.message ?? `emulator answered HTTP ${res.status}`)}`,
    );

  return {
    async call<R>(name: string, request: Json): Promise<R> {
      const { res, body } = await exchange(name, request);
      if (res.ok && typeof body.errMsg === 'string' && body.errMsg.endsWith(':ok')) return body as R;
      throw failure(name, res, body);
    },
    async phoneUsage() {
      let res: Response;
      try {
        res = await fetcher(`${emulator}/__emulator/phone-usage/${encodeURIComponent(appid)}`);
      } catch (err) {
        throw new WxFail(`getPhoneNumber:fail the emulator at ${emulator} did not answer (${(err as Error).message})`);
      }
      if (!res.ok) throw new WxFail(`getPhoneNumber:fail emulator answered HTTP ${res.status}`);
      return (await res.json()) as { quick: number; realtime: number; remaining: number };
    },
    async answer(name: string, request: Json) {
      const { res, body } = await exchange(name, request);
      if (res.ok && typeof body.errMsg === 'string') return body as Json & { errMsg: string };
      throw failure(name, res, body);
    },
  };
}
