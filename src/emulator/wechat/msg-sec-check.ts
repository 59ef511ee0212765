import { judge } from '../content-rules.ts';
import { WxError } from '../errcodes.ts';
import { newRid } from '../ids.ts';
import { appOfToken, contentSecurityCall, requireVisitor } from './guards.ts';
import type { WechatEndpoint, WxCall } from './route.ts';

/** Where it was first defined; the visit checks live in guards.ts (requireVisitor). */
export { VISIT_WINDOW_MS } from './guards.ts';

const MAX_CONTENT = 2500;

function text(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value !== undefined && typeof value !== 'string') throw new WxError(47001);
  return value;
}

/** v1 (no `version`): `{content}` only; 87014 for risky content, unmaintained since 2021 but still answered. */
function checkV1(call: WxCall, body: Record<string, unknown>): Record<string, unknown> {
  const content = text(body, 'content');
  if (content === undefined) throw new WxError(47001);
  if (judge([content], call.state.contentRules).suggest === 'risky') throw new WxError(87014);
  return { errcode: 0, errmsg: 'ok' };
}

/** v2: the openid must belong to the app and have visited it within 2 hours (61010). */
function checkV2(call: WxCall, appid: string, body: Record<string, unknown>): Record<string, unknown> {
  const content = text(body, 'content');
  if (content === undefined) throw new WxError(47001);
  if ([...content].length > MAX_CONTENT) throw new WxError(40097);
  const scene = body.scene;
  if (scene !== 1 && scene !== 2 && scene !== 3 && scene !== 4) throw new WxError(40129);
  requireVisitor(call, appid, body.openid);
  const now = call.now();

  const texts = [content, text(body, 'title'), text(body, 'nickname'), text(body, 'signature')];
  const verdict = judge(
    texts.filter((t): t is string => t !== undefined),
    call.state.contentRules,
  );
  const result = { suggest: verdict.suggest, label: verdict.label };
  return {
    errcode: 0,
    errmsg: 'ok',
    result,
    detail: [
      { strategy: 'content_model', errcode: 0, ...result, prob: 90 },
      // As observed: the keyword strategy only says more when a word of the lists hit.
      {
        strategy: 'keyword',
        errcode: 0,
        ...(verdict.keyword !== undefined && { ...result, keyword: verdict.keyword }),
      },
    ],
    trace_id: newRid(now),
  };
}

/** POST /wxa/msg_sec_check?access_token=… */
export const msgSecCheck: WechatEndpoint = {
  api: 'msg_sec_check',
  url: '/wxa/msg_sec_check',
  methods: ['POST'],
  appOf: appOfToken,
  handle(call) {
    const { limits } = call.state.options;
    const { appid, body } = contentSecurityCall(call, 'msg_sec_check', {
      perMinute: limits.msgSecCheckPerMinute,
      perDay: limits.msgSecCheckPerDay,
    });
    if (body.version === undefined) return checkV1(call, body);
    if (body.version !== 2) throw new WxError(40097);
    return checkV2(call, appid, body);
  },
};
