import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionSignature } from '../../src/wechat/crypto/index.ts';
import { assertWxError, assertWxOk, HOUR, harness, LONE, MINUTE } from './helpers.ts';

const sign = (sessionKey: string) => sessionSignature(sessionKey, '');

describe('GET /wxa/checksession and /wxa/resetusersessionkey', () => {
  it('checks a session_key by its HMAC signature: ok for the current key, 87009 otherwise', async (t) => {
    const { emu, wx } = await harness(t);
    const session = (await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body;
    const token = await wx.accessToken(LONE);
    const check = (signature: string, method = 'hmac_sha256') =>
      wx.get('/wxa/checksession', { access_token: token, openid: session.openid, signature, sig_method: method });
    assertWxOk(await check(sign(session.session_key)));
    assertWxError(await check(sign('o0q0otL8aEzpcZL/FT9WsQ==')), 87009);
    assertWxError(await check(sign(session.session_key), 'md5'), 87008);
    emu.control.login(LONE.appid, 'alice');
    assertWxError(await check(sign(session.session_key)), 87009);
  });

  it('answers 40097 without openid or signature and 40003 for an openid of another app', async (t) => {
    const { emu, wx } = await harness(t);
    const token = await wx.accessToken(LONE);
    assertWxError(
      await wx.get('/wxa/checksession', { access_token: token, sig_method: 'hmac_sha256', signature: 'ab' }),
      40097,
    );
    const foreign = emu.control.identity('wx1234567890abcdef', 'alice').openid;
    const query = { access_token: token, openid: foreign, signature: 'ab', sig_method: 'hmac_sha256' };
    assertWxError(await wx.get('/wxa/checksession', query), 40003);
    assertWxError(await wx.get('/wxa/resetusersessionkey', query), 40003);
  });

  it('resets the key at once, keeping its expiry', async (t) => {
    const { emu, wx, clock } = await harness(t, { sessionKeyTtlMs: 2 * HOUR });
    const session = (await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body;
    clock.advance(HOUR);
    const token = await wx.accessToken(LONE);
    const signed = (key: string) => ({
      access_token: token,
      openid: session.openid,
      signature: sign(key),
      sig_method: 'hmac_sha256',
    });
    assertWxError(await wx.get('/wxa/resetusersessionkey', signed('o0q0otL8aEzpcZL/FT9WsQ==')), 87009);
    assertWxError(
      await wx.get('/wxa/resetusersessionkey', { ...signed(session.session_key), sig_method: 'md5' }),
      87008,
    );
    const reset = await wx.get('/wxa/resetusersessionkey', signed(session.session_key));
    assertWxOk(reset);
    assert.equal(reset.body.openid, session.openid);
    assert.match(reset.body.session_key, /^[A-Za-z0-9+/]{22}==$/);
    assert.notEqual(reset.body.session_key, session.session_key);
    assertWxError(await wx.get('/wxa/checksession', signed(session.session_key)), 87009);
    assertWxOk(await wx.get('/wxa/checksession', signed(reset.body.session_key)));
    clock.advance(HOUR - 1);
    assertWxOk(await wx.get('/wxa/checksession', signed(reset.body.session_key)));
    clock.advance(1);
    const fresh = await wx.accessToken(LONE);
    const expired = { ...signed(reset.body.session_key), access_token: fresh };
    assertWxError(await wx.get('/wxa/checksession', expired), 87009);
    assertWxError(await wx.get('/wxa/resetusersessionkey', expired), 87007);
  });

  it('plays wx.checkSession: ok while the latest key lives, fail once it expired or never existed', async (t) => {
    const { emu, clock } = await harness(t, { sessionKeyTtlMs: 10 * MINUTE });
    const fail = { errMsg: 'checkSession:fail session time out, need relogin' };
    assert.deepEqual(emu.control.checkSession(LONE.appid, 'alice'), fail);
    emu.control.login(LONE.appid, 'alice');
    assert.deepEqual(emu.control.checkSession(LONE.appid, 'alice'), { errMsg: 'checkSession:ok' });
    clock.advance(10 * MINUTE);
    assert.deepEqual(emu.control.checkSession(LONE.appid, 'alice'), fail);
  });
});
