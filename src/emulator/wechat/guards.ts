import type { Account, AppRecord } from '../directory.ts';
import { WxError } from '../errcodes.ts';
import type { TokenRecord } from '../tokens.ts';
import type { WxCall } from './route.ts';

/** The access token every access-token API starts with: missing 41001, then TokenBook.check's order. */
export function requireAccessToken(call: WxCall): TokenRecord {
  const token = call.query('access_token');
  if (token === undefined) throw new WxError(41001);
  const record = call.state.tokens.check(token, call.now());
  call.appid = record.appid;
  return record;
}

/** The app an access token belongs to, valid or not: only to attribute the call. */
export function appOfToken(call: WxCall): string | undefined {
  const token = call.query('access_token');
  return token === undefined ? undefined : call.state.tokens.find(token)?.appid;
}

/** A required string parameter. */
export function required(value: string | undefined, errcode: number): string {
  if (value === undefined) throw new WxError(errcode);
  return value;
}

/** The token endpoints answer 40164 to an address outside the app's whitelist, when it has one. */
export function checkIpWhitelist(call: WxCall, app: AppRecord): void {
  if (!app.ipWhitelist) return;
  const v4 = call.ip.replace(/^::ffff:/, '');
  if (app.ipWhitelist.includes(call.ip) || app.ipWhitelist.includes(v4)) return;
  throw new WxError(40164, `invalid ip ${v4} ipv6 ::ffff:${v4}, not in whitelist`);
}

/** appid + secret of the token endpoints, checked in WeChat's order once both are present. */
export function authenticateApp(call: WxCall, appid: string, secret: string): AppRecord {
  const app = call.state.serverApp(appid, secret);
  checkIpWhitelist(call, app);
  if (app.secret !== secret) throw new WxError(40125);
  return app;
}

/** Counts a call against an app's quota, answering `errcode` once it is spent. */
export function takeQuota(call: WxCall, key: string, window: 'minute' | 'day', limit: number, errcode: number): void {
  if (!call.state.quotas.take(key, window, limit, call.now())) throw new WxError(errcode);
}

/** WeChat's "visited the mini program recently" window (61010 past it): 2 hours (wechat-api.md §7.1, §18). */
export const VISIT_WINDOW_MS = 2 * 3600_000;

/**
 * The openid of a user-scoped API: known (40003), of the token's app (43104) and, unless the
 * call is exempt, seen in the mini program within the visit window (61010).
 */
export function requireVisitor(
  call: WxCall,
  appid: string,
  openid: unknown,
  options: { visitRequired: boolean } = { visitRequired: true },
): Account {
  if (typeof openid !== 'string' || openid === '') throw new WxError(40003);
  const account = call.state.directory.accountByOpenid(openid);
  if (!account) throw new WxError(40003);
  if (account.appid !== appid) throw new WxError(43104);
  call.user = account.user;
  if (!options.visitRequired) return account;
  const seen = account.lastVisitAt;
  if (seen === undefined || call.now() - seen > VISIT_WINDOW_MS) throw new WxError(61010);
  return account;
}

/**
 * How the content-security APIs start (msg_sec_check, media_check_async): the access token's app,
 * the JSON body, then the per-minute (44991) and per-day (45009) quotas of `api`.
 */
export function contentSecurityCall(
  call: WxCall,
  api: string,
  limits: { perMinute: number; perDay: number },
): { appid: string; body: Record<string, unknown> } {
  const { appid } = requireAccessToken(call);
  const body = call.jsonBody();
  takeQuota(call, `${api}\0${appid}`, 'minute', limits.perMinute, 44991);
  takeQuota(call, `${api}\0${appid}`, 'day', limits.perDay, 45009);
  return { appid, body };
}
