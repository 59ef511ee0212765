import { type Auth, type AuthOptions, createAuth } from '../../packages/miniprogram/src/index.ts';
import {
  createWxStandIn,
  type ScriptedBehaviour,
  type ScriptedUser,
  scriptedUser,
  type WxStandIn,
  type WxStandInOptions,
} from '../../src/stand-in/index.ts';
import { APPID, type Stack } from '../server/stack.ts';

export interface Phone {
  wx: WxStandIn;
  user: ScriptedUser;
  auth: Auth;
  /** A second SDK on the same phone: the mini program launched again. */
  restart(): Auth;
  /** wx calls of `api` so far (requests: those whose URL ends with `path`). */
  calls(api: string, path?: string): number;
}

/** A phone running the SDK against the stack: the stand-in for `wx`, a scripted user. */
export function phone(
  stack: Stack,
  name: string,
  options: {
    behaviour?: ScriptedBehaviour;
    appid?: string;
    wx?: Partial<WxStandInOptions>;
    auth?: Partial<AuthOptions>;
  } = {},
): Phone {
  const user = scriptedUser(name, options.behaviour);
  const wx = createWxStandIn({
    emulatorUrl: stack.emulator.url,
    appid: options.appid ?? APPID,
    user,
    userInfo: 'legacy',
    ...options.wx,
  });
  const make = () => createAuth({ baseUrl: stack.url, wx, ...options.auth });
  return {
    wx,
    user,
    auth: make(),
    restart: make,
    calls: (api, path) =>
      wx.log.filter(
        (e) =>
          e.api === api &&
          e.phase === 'call' &&
          (path === undefined || String(e.detail.url).split('?')[0]?.endsWith(path)),
      ).length,
  };
}

/** The claims of one of our access tokens (tests only: the signature is the server's business). */
export function claims(accessToken: string): { sub: string; sid: string; aud: string } {
  const payload = accessToken.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}
