import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { startEmulator } from '../../src/emulator/index.ts';
import { APP, assertWxError, harness, LONE, MINUTE, SISTER, WechatClient } from './helpers.ts';

const OPENID = /^o[A-Za-z0-9_-]{27}$/;
const SESSION_KEY = /^[A-Za-z0-9+/]{22}==$/;

describe('GET /sns/jscode2session', () => {
  it('exchanges a wx.login code for openid and session_key, with no errcode', async (t) => {
    const { emu, wx } = await harness(t);
    const { code, errMsg } = emu.control.login(LONE.appid, 'alice');
    assert.equal(errMsg, 'login:ok');
    assert.match(code, /^[0-9A-Za-z]{32}$/);
    const answer = await wx.code2session(LONE, code);
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'text/plain');
    assert.deepEqual(Object.keys(answer.body), ['session_key', 'openid']);
    assert.match(answer.body.openid, OPENID);
    assert.match(answer.body.session_key, SESSION_KEY);
    assert.equal(answer.body.openid, emu.control.identity(LONE.appid, 'alice').openid);
  });

  it('gives unionid only to apps bound to an open platform, the same across them', async (t) => {
    const { emu, wx } = await harness(t);
    const a = await wx.code2session(APP, emu.control.login(APP.appid, 'alice').code);
    const b = await wx.code2session(SISTER, emu.control.login(SISTER.appid, 'alice').code);
    const lone = await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code);
    assert.match(a.body.unionid, OPENID);
    assert.equal(a.body.unionid, b.body.unionid);
    assert.notEqual(a.body.openid, b.body.openid);
    assert.equal('unionid' in lone.body, false);
    const bob = await wx.code2session(APP, emu.control.login(APP.appid, 'bob').code);
    assert.notEqual(bob.body.unionid, a.body.unionid);
  });

  it('derives the same openids and unionids from the same seed, and others from another', async (t) => {
    const ids = async (seed: string) => {
      const emu = await startEmulator({ seed, apps: [APP] });
      t.after(() => emu.close());
      const answer = await new WechatClient(emu.url).code2session(APP, emu.control.login(APP.appid, 'alice').code);
      return { openid: answer.body.openid, unionid: answer.body.unionid };
    };
    const first = await ids('seed-1');
    assert.deepEqual(await ids('seed-1'), first);
    assert.notDeepEqual(await ids('seed-2'), first);
  });

  it('answers 40163 when a code is used twice', async (t) => {
    const { emu, wx, clock } = await harness(t);
    const { code } = emu.control.login(LONE.appid, 'alice');
    assert.ok((await wx.code2session(LONE, code)).body.openid);
    assertWxError(await wx.code2session(LONE, code), 40163, clock);
  });

  it('keeps a code 5 minutes, then answers 40029', async (t) => {
    const { emu, wx, clock } = await harness(t);
    const fresh = emu.control.login(LONE.appid, 'alice').code;
    const stale = emu.control.login(LONE.appid, 'bob').code;
    clock.advance(5 * MINUTE - 1);
    assert.ok((await wx.code2session(LONE, fresh)).body.openid);
    clock.advance(1);
    assertWxError(await wx.code2session(LONE, stale), 40029, clock);
  });

  it('answers 40029 for an unknown code and for a code of another app', async (t) => {
    const { emu, wx } = await harness(t);
    assertWxError(await wx.code2session(LONE, '0716AVll20uHk94SLDml27etM946AVlq'), 40029);
    const code = emu.control.login(APP.appid, 'alice').code;
    assertWxError(await wx.code2session(LONE, code), 40029);
    // The failed attempt did not spend it for its own app.
    assert.ok((await wx.code2session(APP, code)).body.openid);
  });

  it('answers 40125 for a wrong secret and 40013 for an unknown appid', async (t) => {
    const { emu, wx } = await harness(t);
    const code = emu.control.login(LONE.appid, 'alice').code;
    assertWxError(await wx.code2session({ ...LONE, secret: 'not-the-secret' }, code), 40125);
    assertWxError(await wx.code2session({ appid: 'wx0000000000000000', secret: LONE.secret }, code), 40013);
    assert.ok((await wx.code2session(LONE, code)).body.openid);
  });

  it('names each missing parameter: 41002 appid, 41004 secret, 41008 js_code, 40002 grant_type', async (t) => {
    const { wx } = await harness(t);
    const full = { appid: LONE.appid, secret: LONE.secret, js_code: 'x', grant_type: 'authorization_code' };
    const without = (key: keyof typeof full) => Object.fromEntries(Object.entries(full).filter(([k]) => k !== key));
    assertWxError(await wx.get('/sns/jscode2session', without('appid')), 41002);
    assertWxError(await wx.get('/sns/jscode2session', without('secret')), 41004);
    assertWxError(await wx.get('/sns/jscode2session', without('js_code')), 41008);
    assertWxError(await wx.get('/sns/jscode2session', without('grant_type')), 40002);
    assertWxError(await wx.get('/sns/jscode2session', { ...full, grant_type: 'client_credential' }), 40002);
    assertWxError(await wx.get('/sns/jscode2session', { ...full, appid: '' }), 41002);
  });

  it('does not read parameters from a POST body (41002), as WeChat does not', async (t) => {
    const { emu, wx } = await harness(t);
    const code = emu.control.login(LONE.appid, 'alice').code;
    const form = new URLSearchParams({
      appid: LONE.appid,
      secret: LONE.secret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    assertWxError(
      await wx.post('/sns/jscode2session', {}, form.toString(), 'application/x-www-form-urlencoded'),
      41002,
    );
  });

  it('blocks users marked high-risk with 40226', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.upsertUser({ user: 'mallory', risky: true });
    assertWxError(await wx.code2session(LONE, emu.control.login(LONE.appid, 'mallory').code), 40226);
    emu.control.upsertUser({ user: 'mallory', risky: false });
    assert.ok((await wx.code2session(LONE, emu.control.login(LONE.appid, 'mallory').code)).body.openid);
  });

  it('answers 45011 past the per-user minute quota, and serves again the next minute', async (t) => {
    const { emu, wx, clock } = await harness(t, { limits: { code2SessionPerUserPerMinute: 2 } });
    clock.advance(MINUTE - (clock.now() % MINUTE));
    for (let i = 0; i < 2; i++)
      assert.ok((await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body.openid);
    const third = emu.control.login(LONE.appid, 'alice').code;
    assertWxError(await wx.code2session(LONE, third), 45011);
    // Another user has a quota of their own.
    assert.ok((await wx.code2session(LONE, emu.control.login(LONE.appid, 'bob').code)).body.openid);
    clock.advance(MINUTE);
    assert.ok((await wx.code2session(LONE, third)).body.openid, 'a refused code is not spent');
  });

  it('answers any query with HTTP 200 and a WeChat body, never a server error', async (t) => {
    const { wx } = await harness(t);
    const keys = fc.constantFrom('appid', 'secret', 'js_code', 'grant_type', 'x');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(keys, fc.string({ maxLength: 40 })), async (query) => {
        const answer = await wx.get('/sns/jscode2session', query);
        assert.equal(answer.status, 200);
        assert.equal(typeof answer.body.errcode, 'number');
      }),
      { numRuns: 60 },
    );
  });
});
