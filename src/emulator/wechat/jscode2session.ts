import { WxError } from '../errcodes.ts';
import { currentSessionKey } from '../sessions.ts';
import type { CodeOwner } from '../state.ts';
import { required, takeQuota } from './guards.ts';
import type { WechatEndpoint, WxCall } from './route.ts';

/** The one-time wx.login code: 40029 unknown, expired or another app's; 40163 when already used. */
function redeemLoginCode(call: WxCall, appid: string, code: string): CodeOwner {
  const found = call.state.loginCodes.peek(code, call.now());
  if (found.status === 'unknown' || found.value.appid !== appid) throw new WxError(40029);
  call.user = found.value.user;
  if (found.status === 'expired') throw new WxError(40029);
  if (found.status === 'used') throw new WxError(40163);
  return found.value;
}

/** GET /sns/jscode2session: parameters in the query only; a POST body is not read (41002). */
export const jscode2session: WechatEndpoint = {
  api: 'jscode2session',
  url: '/sns/jscode2session',
  methods: ['GET', 'POST'],
  appOf: (call) => call.query('appid'),
  handle(call) {
    const appid = required(call.query('appid'), 41002);
    const secret = required(call.query('secret'), 41004);
    const code = required(call.query('js_code'), 41008);
    if (call.query('grant_type') !== 'authorization_code') throw new WxError(40002);
    const { state } = call;
    const app = state.serverApp(appid, secret);
    if (app.secret !== secret) throw new WxError(40125);
    const owner = redeemLoginCode(call, appid, code);
    // A code issued before the user deleted their WeChat account is worth nothing after (§22).
    if (state.directory.user(owner.user).deleted) throw new WxError(40029);
    if (state.directory.user(owner.user).risky) throw new WxError(40226);
    takeQuota(
      call,
      `jscode2session\0${appid}\0${owner.user}`,
      'minute',
      state.options.limits.code2SessionPerUserPerMinute,
      45011,
    );
    state.loginCodes.spend(code, call.now());

    const account = state.directory.account(appid, owner.user);
    // Alive by construction: wx.login set it to outlive the code (the TTL is checked to exceed 5 minutes).
    const sessionKey = currentSessionKey(account, call.now())!;
    const unionid = state.directory.unionid(app, owner.user);
    // No errcode on success, as WeChat answers today.
    return { session_key: sessionKey, openid: account.openid, ...(unionid !== undefined && { unionid }) };
  },
};
