import { sessionSignature, signaturesEqual } from '../../wechat/crypto/index.ts';
import type { Account } from '../directory.ts';
import { WxError } from '../errcodes.ts';
import { currentSessionKey, resetSession } from '../sessions.ts';
import { appOfToken, requireAccessToken } from './guards.ts';
import type { WechatEndpoint, WxCall } from './route.ts';

interface Signed {
  account: Account;
  signature: string;
}

/** openid + signature + sig_method, all in the query, for an openid of the token's app. */
function signedRequest(call: WxCall): Signed {
  const { appid } = requireAccessToken(call);
  const openid = call.query('openid');
  const signature = call.query('signature');
  const sigMethod = call.query('sig_method');
  if (openid === undefined || signature === undefined || sigMethod === undefined) throw new WxError(40097);
  if (sigMethod !== 'hmac_sha256') throw new WxError(87008);
  const account = call.state.directory.accountByOpenid(openid);
  if (!account || account.appid !== appid) throw new WxError(40003);
  call.user = account.user;
  return { account, signature };
}

/** hmac_sha256 keyed with the session_key's base64 text, over the empty string (wechat-api.md §5). */
function signedWith(sessionKey: string, signature: string): boolean {
  return signaturesEqual(sessionSignature(sessionKey, ''), signature);
}

/** GET /wxa/checksession: 87009 when the signature was made with anything but the current key. */
export const checkSession: WechatEndpoint = {
  api: 'checksession',
  url: '/wxa/checksession',
  methods: ['GET', 'POST'],
  appOf: appOfToken,
  handle(call) {
    const { account, signature } = signedRequest(call);
    const key = currentSessionKey(account, call.now());
    if (key === undefined || !signedWith(key, signature)) throw new WxError(87009);
    return { errcode: 0, errmsg: 'ok' };
  },
};

/** GET /wxa/resetusersessionkey: a new key at once, keeping the old one's expiry. */
export const resetUserSessionKey: WechatEndpoint = {
  api: 'resetusersessionkey',
  url: '/wxa/resetusersessionkey',
  methods: ['GET', 'POST'],
  appOf: appOfToken,
  handle(call) {
    const { account, signature } = signedRequest(call);
    const key = currentSessionKey(account, call.now());
    if (key === undefined) throw new WxError(87007);
    if (!signedWith(key, signature)) throw new WxError(87009);
    return { errcode: 0, errmsg: 'ok', openid: account.openid, session_key: resetSession(account) };
  },
};
