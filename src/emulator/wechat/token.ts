import { WxError } from '../errcodes.ts';
import { OVERLAP_MS, TOKEN_TTL_MS } from '../tokens.ts';
import { authenticateApp, required, takeQuota } from './guards.ts';
import type { WechatEndpoint } from './route.ts';

/**
 * GET /cgi-bin/token: every call issues a new token; the previous one keeps working for 5 minutes
 * and then answers 40001. 2000 calls a day per app (45009).
 */
export const token: WechatEndpoint = {
  api: 'token',
  url: '/cgi-bin/token',
  methods: ['GET', 'POST'],
  appOf: (call) => call.query('appid'),
  handle(call) {
    const appid = required(call.query('appid'), 41002);
    const secret = required(call.query('secret'), 41004);
    if (call.query('grant_type') !== 'client_credential') throw new WxError(40002);
    authenticateApp(call, appid, secret);
    takeQuota(call, `token\0${appid}`, 'day', call.state.options.limits.tokenPerDay, 45009);
    const record = call.state.tokens.issue(appid, 'token', call.now(), OVERLAP_MS);
    return { access_token: record.token, expires_in: TOKEN_TTL_MS / 1000 };
  },
};
