import { WxError } from '../errcodes.ts';
import { appOfToken, requireAccessToken, requireVisitor, takeQuota } from './guards.ts';
import type { WechatEndpoint, WxCall } from './route.ts';

/** Scenes of the mini program page: 0 registration, 1 marketing abuse (2, UGC, is the mini game's). */
const SCENES: readonly unknown[] = [0, 1];
const OPTIONAL_TEXT = ['mobile_no', 'email_address', 'extended_info'] as const;
/** unoin_id is a per-request id above 2³¹ (wechat-api.md §18): it exercises a caller's int64 handling. */
const UNOIN_ID_BASE = 2 ** 31;

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw new WxError(47001);
  return value;
}

/**
 * The order of the checks is ours where WeChat documents none [UNV]: body shape (47001), scene
 * (40129), the appid against the token's app (40013), the openid (40003 / 43104), then the visit
 * (61010, skipped by test calls, which spend their own quota: 9410009).
 */
function rank(call: WxCall, tokenAppid: string, body: Record<string, unknown>): Record<string, unknown> {
  const appid = field(body, 'appid');
  field(body, 'client_ip');
  for (const name of OPTIONAL_TEXT) if (body[name] !== undefined) field(body, name);
  if (body.is_test !== undefined && typeof body.is_test !== 'boolean') throw new WxError(47001);
  if (!SCENES.includes(body.scene)) throw new WxError(40129);
  if (appid !== tokenAppid) throw new WxError(40013);
  const isTest = body.is_test === true;
  const account = requireVisitor(call, tokenAppid, body.openid, { visitRequired: !isTest });
  if (isTest)
    takeQuota(
      call,
      `getuserriskrank_test\0${tokenAppid}`,
      'day',
      call.state.options.limits.riskRankTestPerDay,
      9410009,
    );
  return {
    errcode: 0,
    errmsg: 'getuserriskrank succ',
    risk_rank: call.state.directory.user(account.user).riskRank,
    unoin_id: UNOIN_ID_BASE + Math.floor(Math.random() * UNOIN_ID_BASE),
  };
}

/** POST /wxa/getuserriskrank?access_token=… (wechat-api.md §18): the user's risk rank, 0–4, set per user. */
export const getUserRiskRank: WechatEndpoint = {
  api: 'getuserriskrank',
  url: '/wxa/getuserriskrank',
  methods: ['POST'],
  appOf: appOfToken,
  handle(call) {
    const { appid } = requireAccessToken(call);
    return rank(call, appid, call.jsonBody());
  },
};
