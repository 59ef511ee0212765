import { WxError } from '../errcodes.ts';
import { OVERLAP_MS, type TokenRecord } from '../tokens.ts';
import { authenticateApp, takeQuota } from './guards.ts';
import type { WechatEndpoint, WxCall } from './route.ts';

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * A force_refresh takes effect at most forceRefreshPerDay times a day and 30 s apart; otherwise
 * WeChat "does not refresh" and, having no documented errcode for it, answers the current token.
 */
function mayForceRefresh(call: WxCall, appid: string): boolean {
  const { state } = call;
  const now = call.now();
  const last = state.lastForcedRefresh.get(appid);
  if (last !== undefined && now - last < state.options.limits.forceRefreshSpacingMs) return false;
  if (!state.quotas.take(`force_refresh\0${appid}`, 'day', state.options.limits.forceRefreshPerDay, now)) return false;
  state.lastForcedRefresh.set(appid, now);
  return true;
}

function stableTokenFor(call: WxCall, appid: string, forceRefresh: boolean): TokenRecord {
  const { tokens } = call.state;
  const now = call.now();
  const current = tokens.current(appid, 'stable', now);
  // A forced refresh ends the previous token at once: stricter than an overlap, never kinder than WeChat.
  if (forceRefresh && mayForceRefresh(call, appid)) return tokens.issue(appid, 'stable', now, 0);
  // The same token until its last 5 minutes; then a new one, the old one working until it expires.
  if (current && now < current.expiresAt - OVERLAP_MS) return current;
  return tokens.issue(appid, 'stable', now, OVERLAP_MS);
}

/** POST /cgi-bin/stable_token: JSON body only; independent of /cgi-bin/token. */
export const stableToken: WechatEndpoint = {
  api: 'stable_token',
  url: '/cgi-bin/stable_token',
  methods: ['POST'],
  appOf: (call) => stringField(call.peekBody(), 'appid'),
  handle(call) {
    // Parameters sent in the query leave the body empty: WeChat then says the appid is missing.
    const body = call.jsonBody(41002);
    const appid = stringField(body, 'appid');
    if (appid === undefined) throw new WxError(41002);
    const secret = stringField(body, 'secret');
    if (secret === undefined) throw new WxError(41004);
    if (body.grant_type !== 'client_credential') throw new WxError(40002);
    if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean') throw new WxError(40097);
    authenticateApp(call, appid, secret);
    const { limits } = call.state.options;
    takeQuota(call, `stable_token\0${appid}`, 'minute', limits.stableTokenPerMinute, 45011);
    takeQuota(call, `stable_token\0${appid}`, 'day', limits.stableTokenPerDay, 45009);
    const record = stableTokenFor(call, appid, body.force_refresh === true);
    return { access_token: record.token, expires_in: Math.floor((record.expiresAt - call.now()) / 1000) };
  },
};
