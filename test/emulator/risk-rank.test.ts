import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assertWxError, control, HOUR, harness, LONE, SISTER, type WechatClient } from './helpers.ts';

function rank(wx: WechatClient, token: string, body: unknown) {
  return wx.post('/wxa/getuserriskrank', { access_token: token }, body);
}

describe('POST /wxa/getuserriskrank', () => {
  it("answers the rank set per user through the control API (default 0), WeChat's errmsg and an int64 unoin_id", async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.login(LONE.appid, 'alice');
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const token = await wx.accessToken(LONE);
    const body = { appid: LONE.appid, openid, scene: 0, client_ip: '203.0.113.7' };
    const first = await rank(wx, token, body);
    assert.equal(first.status, 200);
    assert.equal(first.body.errcode, 0);
    assert.equal(first.body.errmsg, 'getuserriskrank succ');
    assert.equal(first.body.risk_rank, 0);
    assert.ok(Number.isInteger(first.body.unoin_id) && first.body.unoin_id >= 2 ** 31, String(first.body.unoin_id));

    const set = await control(emu.url, 'POST', '/users', { user: 'alice', riskRank: 3 });
    assert.equal(set.status, 200);
    assert.equal((set.body as { riskRank: number }).riskRank, 3);
    assert.equal((await rank(wx, token, { ...body, scene: 1, mobile_no: '13800138000' })).body.risk_rank, 3);
    for (const bad of [5, -1, 1.5, '2']) {
      const refused = await control(emu.url, 'POST', '/users', { user: 'alice', riskRank: bad });
      assert.equal(refused.status, 400, `riskRank ${JSON.stringify(bad)}`);
    }
  });

  it('answers 61010 without a visit in the last 2 hours, unless is_test', async (t) => {
    const { emu, wx, clock } = await harness(t);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const body = { appid: LONE.appid, openid, scene: 0, client_ip: '203.0.113.7' };
    assertWxError(await rank(wx, await wx.accessToken(LONE), body), 61010);
    assert.equal((await rank(wx, await wx.accessToken(LONE), { ...body, is_test: true })).body.errcode, 0);
    emu.control.login(LONE.appid, 'alice');
    clock.advance(2 * HOUR + 1);
    assertWxError(await rank(wx, await wx.accessToken(LONE), body), 61010, clock);
  });

  it('validates: 47001 body shape, 40129 scene, 40013 appid, 40003 / 43104 openid, 41001 token, 43002 GET', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.login(LONE.appid, 'alice');
    const token = await wx.accessToken(LONE);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const base = { appid: LONE.appid, openid, scene: 0, client_ip: '203.0.113.7' };
    assertWxError(await rank(wx, token, { ...base, client_ip: undefined }), 47001);
    assertWxError(await rank(wx, token, { ...base, appid: 7 }), 47001);
    assertWxError(await rank(wx, token, { ...base, is_test: 'yes' }), 47001);
    assertWxError(await rank(wx, token, { ...base, email_address: 1 }), 47001);
    assertWxError(await rank(wx, token, 'appid=x'), 47001);
    assertWxError(await rank(wx, token, ''), 44002);
    assertWxError(await rank(wx, token, { ...base, scene: 3 }), 40129);
    assertWxError(await rank(wx, token, { ...base, scene: '0' }), 40129);
    assertWxError(await rank(wx, token, { ...base, appid: SISTER.appid }), 40013);
    assertWxError(await rank(wx, token, { ...base, openid: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE' }), 40003);
    assertWxError(
      await rank(wx, token, { ...base, openid: emu.control.identity(SISTER.appid, 'alice').openid }),
      43104,
    );
    assertWxError(await wx.post('/wxa/getuserriskrank', {}, base), 41001);
    assertWxError(await wx.get('/wxa/getuserriskrank', { access_token: token }), 43002);
  });

  it('answers 9410009 once the test quota of the day is spent', async (t) => {
    const { emu, wx, clock } = await harness(t, { limits: { riskRankTestPerDay: 1 } });
    const token = await wx.accessToken(LONE);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const body = { appid: LONE.appid, openid, scene: 0, client_ip: '203.0.113.7', is_test: true };
    assert.equal((await rank(wx, token, body)).body.errcode, 0);
    assertWxError(await rank(wx, token, body), 9410009);
    clock.advance(24 * HOUR);
    assert.equal((await rank(wx, await wx.accessToken(LONE), body)).body.errcode, 0);
  });

  it('answers any JSON body with HTTP 200 and an errcode, never a server error', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.login(LONE.appid, 'alice');
    const token = await wx.accessToken(LONE);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const field = fc.oneof(fc.jsonValue(), fc.constant(openid), fc.constant(LONE.appid), fc.constantFrom(0, 1, 2));
    const body = fc.oneof(
      fc.record({ appid: field, openid: field, scene: field, client_ip: field, is_test: field, mobile_no: field }),
      fc.jsonValue(),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const answer = await rank(wx, token, typeof b === 'string' ? b : (JSON.stringify(b) ?? ''));
        assert.equal(answer.status, 200);
        assert.equal(typeof answer.body.errcode, 'number');
      }),
      { numRuns: 80 },
    );
  });
});
