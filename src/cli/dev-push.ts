import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config.ts';
import type { RunningEmulator } from '../emulator/index.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function alnum(length: number): string {
  return [...randomBytes(length)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/**
 * WEAPP_PUSH for `dev`: the demo app's message push in safe mode, with a Token and an
 * EncodingAESKey made for this run (the emulator and the server are told the same ones).
 */
export function devPushSetting(appid: string): string {
  return `${appid}:${alnum(32)}:${alnum(43)}`;
}

/** Whether a WEAPP_APPS value (unset: dev's own demo app) lists `appid`. */
export function listsApp(weappApps: string | undefined, appid: string): boolean {
  return weappApps === undefined || weappApps.split(',').some((entry) => entry.trim().split(':')[0] === appid);
}

/**
 * Points the emulator's message push for `appid` at the server's /wechat/push/{appid}, as an
 * operator saves it in mp.weixin.qq.com: the emulator first runs WeChat's URL check against the
 * server. A note when it cannot (no WEAPP_PUSH for the app, or the check failed).
 */
export async function configureDevPush(
  emulator: RunningEmulator,
  config: Pick<Config, 'push'>,
  server: string,
  appid: string,
): Promise<string | undefined> {
  const push = config.push.find((p) => p.appid === appid);
  if (!push) return `WEAPP_PUSH names no push for ${appid}: the emulator's revocations and avatar checks go nowhere`;
  try {
    await emulator.control.push.configure(appid, {
      url: `${server}/wechat/push/${appid}`,
      token: push.token,
      ...(push.encodingAesKey !== undefined && { encodingAESKey: push.encodingAesKey, mode: 'safe' }),
      format: 'json',
    });
    return undefined;
  } catch (err) {
    return `the emulator could not set up its message push: ${(err as Error).message}`;
  }
}
