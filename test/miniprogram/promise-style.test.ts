import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createAuth, type WxApi } from '../../packages/miniprogram/src/index.ts';
import { createWxStandIn, scriptedUser, type WxStandIn } from '../../src/stand-in/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, type Stack, startStack } from '../server/stack.ts';

type Method = (options?: Record<string, unknown>) => unknown;
type Callbacks = { success?: (r: unknown) => void; fail?: (e: unknown) => void };

/**
 * What Taro and uni-app hand over: every API calls the callbacks it is given and also returns a
 * promise, which rejects on failure whether or not anyone listens.
 */
function promiseStyle(wx: WxStandIn): WxApi {
  const wrap =
    (name: keyof WxApi & keyof WxStandIn) =>
    (options: Record<string, unknown> & Callbacks = {}) =>
      new Promise((resolve, reject) => {
        (wx[name] as unknown as Method)({
          ...options,
          success: (r: unknown) => {
            options.success?.(r);
            resolve(r);
          },
          fail: (e: unknown) => {
            options.fail?.(e);
            reject(e);
          },
        });
      });
  const async = ['login', 'checkSession', 'request', 'getSetting', 'openSetting', 'showModal', 'getUserInfo'] as const;
  return {
    ...Object.fromEntries(async.map((name) => [name, wrap(name)])),
    getUserProfile: wrap('getUserProfile'),
    getStorageSync: (key: string) => wx.getStorageSync(key),
    setStorageSync: (key: string, value: unknown) => wx.setStorageSync(key, value),
    removeStorageSync: (key: string) => wx.removeStorageSync(key),
    getAccountInfoSync: () => wx.getAccountInfoSync(),
  } as unknown as WxApi;
}

forEachDialect(
  'the SDK on a promise-style wx (Taro, uni-app)',
  (h) => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('logs in, requests, and runs the permission dance without unhandled rejections', async () => {
      const user = scriptedUser('taro-ann', { deniesDialogs: true, grantsInSettings: true });
      const wx = createWxStandIn({ emulatorUrl: s.emulator.url, appid: APPID, user, userInfo: 'legacy' });
      const auth = createAuth({ baseUrl: s.url, wx: promiseStyle(wx) });
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      try {
        await auth.login();
        const me = await auth.me();
        const user = await auth.getUserInfo();
        assert.equal(user.id, me.id);
        assert.equal(user.nickname, s.emulator.control.user('taro-ann').profile.nickName);
        await assert.rejects(auth.request({ url: '/v1/nowhere' }), { code: 'NOT_FOUND' });
        // Let any stray rejection surface before looking.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('unhandledRejection', onRejection);
      }
      assert.deepEqual(rejections, []);
    });
  },
  { only: ['sqlite'] },
);
