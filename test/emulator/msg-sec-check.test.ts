import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LABELS } from '../../src/emulator/index.ts';
import { assertWxError, assertWxOk, HOUR, harness, LONE, SISTER, type WechatClient } from './helpers.ts';

const TRACE = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

function check(wx: WechatClient, token: string, body: unknown) {
  return wx.post('/wxa/msg_sec_check', { access_token: token }, body);
}

describe('POST /wxa/msg_sec_check (v2)', () => {
  it('passes clean content with WeChat result, detail and trace_id', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.login(LONE.appid, 'alice');
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const answer = await check(wx, await wx.accessToken(LONE), {
      content: '今天天气不错',
      version: 2,
      scene: 2,
      openid,
    });
    assertWxOk(answer);
    assert.deepEqual(answer.body.result, { suggest: 'pass', label: 100 });
    assert.deepEqual(answer.body.detail, [
      { strategy: 'content_model', errcode: 0, suggest: 'pass', label: 100, prob: 90 },
      { strategy: 'keyword', errcode: 0 },
    ]);
    assert.match(answer.body.trace_id, TRACE);
  });

  it('answers risky and review from the word lists, in any text field, with the label', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.login(LONE.appid, 'alice');
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const token = await wx.accessToken(LONE);
    const risky = await check(wx, token, { content: '一起来赌博吧', version: 2, scene: 3, openid });
    assert.deepEqual(risky.body.result, { suggest: 'risky', label: LABELS.illegal });
    assert.deepEqual(risky.body.detail[1], {
      strategy: 'keyword',
      errcode: 0,
      suggest: 'risky',
      label: LABELS.illegal,
      keyword: '赌博',
    });
    const review = await check(wx, token, { content: 'hi', nickname: '加微信领红包', version: 2, scene: 1, openid });
    assert.deepEqual(review.body.result, { suggest: 'review', label: LABELS.ads });
    const both = await check(wx, token, { content: '加微信 赌博', version: 2, scene: 1, openid });
    assert.equal(both.body.result.suggest, 'risky', 'the worst verdict wins');

    emu.control.setContentRules([{ word: 'Spam', suggest: 'review', label: LABELS.other }]);
    const custom = await check(wx, token, { content: 'cheap SPAM here, 赌博', version: 2, scene: 2, openid });
    assert.deepEqual(custom.body.result, { suggest: 'review', label: LABELS.other });
  });

  it('answers 61010 unless the user visited the mini program in the last 2 hours', async (t) => {
    const { emu, wx, clock } = await harness(t);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const body = { content: 'hello', version: 2, scene: 1, openid };
    assertWxError(await check(wx, await wx.accessToken(LONE), body), 61010);
    emu.control.login(LONE.appid, 'alice');
    clock.advance(2 * HOUR);
    assertWxOk(await check(wx, await wx.accessToken(LONE), body));
    clock.advance(1);
    assertWxError(await check(wx, await wx.accessToken(LONE), body), 61010, clock);
  });

  it('validates the request: 40129 scene, 40003 openid, 43104 openid of another app, 40097 version', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.login(LONE.appid, 'alice');
    const token = await wx.accessToken(LONE);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const base = { content: 'hello', version: 2, scene: 1, openid };
    assertWxError(await check(wx, token, { ...base, scene: 5 }), 40129);
    assertWxError(await check(wx, token, { ...base, scene: '1' }), 40129);
    assertWxError(await check(wx, token, { ...base, openid: undefined }), 40003);
    assertWxError(await check(wx, token, { ...base, openid: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE' }), 40003);
    assertWxError(
      await check(wx, token, { ...base, openid: emu.control.identity(SISTER.appid, 'alice').openid }),
      43104,
    );
    assertWxError(await check(wx, token, { ...base, version: 3 }), 40097);
    assertWxError(await check(wx, token, { ...base, content: 'x'.repeat(2501) }), 40097);
    assertWxError(await check(wx, token, { ...base, content: undefined }), 47001);
    assertWxError(await check(wx, token, ''), 44002);
    assertWxError(await wx.get('/wxa/msg_sec_check', { access_token: token }), 43002);
  });

  it('answers 44991 past the minute quota and 45009 past the daily one', async (t) => {
    const { wx, clock } = await harness(t, { limits: { msgSecCheckPerMinute: 1, msgSecCheckPerDay: 2 } });
    const token = await wx.accessToken(LONE);
    assertWxOk(await check(wx, token, { content: 'hello' }));
    assertWxError(await check(wx, token, { content: 'hello' }), 44991);
    clock.advance(60_000);
    assertWxOk(await check(wx, token, { content: 'hello' }));
    clock.advance(60_000);
    assertWxError(await check(wx, token, { content: 'hello' }), 45009);
  });

  it('still answers v1: ok, or 87014 for risky content', async (t) => {
    const { wx } = await harness(t);
    const token = await wx.accessToken(LONE);
    assert.deepEqual((await check(wx, token, { content: 'hello' })).body, { errcode: 0, errmsg: 'ok' });
    assertWxError(await check(wx, token, { content: '赌博' }), 87014);
  });

  it('answers any JSON body with HTTP 200 and an errcode, never a server error', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.login(LONE.appid, 'alice');
    const token = await wx.accessToken(LONE);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const field = fc.oneof(fc.jsonValue(), fc.constant(openid), fc.constantFrom(1, 2, 4));
    const body = fc.oneof(
      fc.record({
        content: field,
        version: fc.constantFrom(2, 1, undefined),
        scene: field,
        openid: field,
        title: field,
      }),
      fc.jsonValue(),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const answer = await check(wx, token, typeof b === 'string' ? b : (JSON.stringify(b) ?? ''));
        assert.equal(answer.status, 200);
        assert.equal(typeof answer.body.errcode, 'number');
      }),
      { numRuns: 80 },
    );
  });

  it('finds a listed word wherever it sits in the content', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.login(LONE.appid, 'alice');
    const token = await wx.accessToken(LONE);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), async (before, after) => {
        const answer = await check(wx, token, { content: `${before}赌博${after}`, version: 2, scene: 2, openid });
        assert.equal(answer.body.result.suggest, 'risky');
      }),
      { numRuns: 40 },
    );
  });
});
