import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { encryptOpenData } from '../../src/wechat/crypto/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, APPID2, type Stack, startStack } from './stack.ts';

forEachDialect('legacy user info', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h);
  });

  it('GET /wx/login answers the classic tutorial contract plus our tokens', async () => {
    s.emulator.control.login(APPID, 'ivan');
    const info = s.userInfo('ivan');
    const { code } = s.emulator.control.login(APPID, 'ivan', { rotate: false });
    const q = new URLSearchParams({
      code,
      encryptedData: info.encryptedData,
      iv: info.iv,
      rawData: info.rawData,
      signature: info.signature,
    });
    const res = await s.call('GET', `/wx/login?${q}`);
    assert.equal(res.status, 200, res.text);
    const ids = s.emulator.control.identity(APPID, 'ivan');
    assert.equal(res.body.openId, ids.openid);
    assert.equal(res.body.unionId, ids.unionid);
    assert.equal(res.body.nickName, info.userInfo.nickName);
    assert.equal(res.body.avatarUrl, info.userInfo.avatarUrl);
    for (const k of ['gender', 'city', 'province', 'country']) assert.ok(k in res.body, k);
    assert.match(res.body.accessToken, /^ey/);
    assert.ok(!('session_key' in res.body) && !('sessionKey' in res.body));
    // The query string, which carried the code and the data, never reaches the logs.
    assert.ok(!s.logs.join('').includes(code));
    assert.ok(!s.logs.join('').includes(info.iv));
  });

  it('POST /wx/login takes the same fields as JSON; an unencoded + in the data is repaired', async () => {
    s.emulator.control.login(APPID, 'judy');
    const info = s.userInfo('judy');
    const { code } = s.emulator.control.login(APPID, 'judy', { rotate: false });
    const res = await s.call('POST', '/wx/login', {
      body: { code, encryptedData: info.encryptedData.replaceAll('+', ' '), iv: info.iv },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.nickName, info.userInfo.nickName);
  });

  it('POST /wx/login without encryptedData is a 400 naming the field', async () => {
    const { code } = s.emulator.control.login(APPID, 'judy');
    const res = await s.call('POST', '/wx/login', { body: { code } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'INVALID_REQUEST');
    assert.match(res.body.message, /encryptedData/);
  });

  it('recovers the session_key race with the previous key', async () => {
    const login = await s.login('kate');
    // The classic bug: data produced, then wx.login again (rotating the key), then the data is sent.
    const info = s.userInfo('kate');
    const relogin = await s.login('kate');
    assert.equal(relogin.status, 200);
    const res = await s.call('POST', '/v1/me/userinfo', { token: relogin.body.accessToken, body: info });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.user.nickname, info.userInfo.nickName);
    assert.equal(res.body.user.id, login.body.user.id);
  });

  it('answers SESSION_KEY_STALE with the remedy when no stored key decrypts', async () => {
    await s.login('liam');
    const info = s.userInfo('liam');
    await s.login('liam');
    const latest = await s.login('liam');
    const res = await s.call('POST', '/v1/me/userinfo', { token: latest.body.accessToken, body: info });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'SESSION_KEY_STALE');
    assert.match(res.body.message, /Log in again/);
    const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /weapp_auth_decrypt_failures_total\{reason="SESSION_KEY_STALE"\} [1-9]/);
  });

  it('checks the signature, the watermark and the user the data describes', async () => {
    const mia = await s.login('mia');
    const info = s.userInfo('mia');
    const forged = await s.call('POST', '/v1/me/userinfo', {
      token: mia.body.accessToken,
      body: { ...info, rawData: info.rawData.replace(/"nickName":"[^"]*"/, '"nickName":"admin"') },
    });
    assert.equal(forged.status, 400);
    assert.equal(forged.body.code, 'SIGNATURE_MISMATCH');
    const half = await s.call('POST', '/v1/me/userinfo', {
      token: mia.body.accessToken,
      body: { ...info, signature: undefined },
    });
    assert.equal(half.status, 400);
    assert.equal(half.body.code, 'INVALID_REQUEST');
    // Data of this user but produced for the other mini program: another watermark.
    await s.login('mia', {}, APPID2);
    const other = s.userInfo('mia', APPID2);
    const wrongApp = await s.call('POST', '/v1/me/userinfo', { token: mia.body.accessToken, body: other });
    assert.equal(wrongApp.status, 400);
    assert.match(wrongApp.body.code, /SESSION_KEY_STALE|WATERMARK_MISMATCH/);
    const garbage = await s.call('POST', '/v1/me/userinfo', {
      token: mia.body.accessToken,
      body: { encryptedData: '!!', iv: info.iv },
    });
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.code, 'MALFORMED_CIPHERTEXT');
    const noToken = await s.call('POST', '/v1/me/userinfo', { body: info });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.code, 'UNAUTHORIZED');
  });

  it('refuses data that describes another WeChat user', async () => {
    const nick = await s.login('nick');
    const keys = await import('../../src/store/index.ts');
    const identity = await keys.findIdentityForUser(s.ctx.store.db, nick.body.user.id, APPID);
    assert.ok(identity);
    const { current } = keys.getSessionKeys(s.ctx.store, identity);
    const sealed = encryptOpenData(
      current,
      { openId: 'oSomebodyElse0000000000000000', nickName: 'x' },
      { watermark: { appid: APPID, timestamp: Math.floor(Date.now() / 1000) } },
    );
    const res = await s.call('POST', '/v1/me/userinfo', { token: nick.body.accessToken, body: sealed });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'WATERMARK_MISMATCH');
  });

  it('never lets anonymous "微信用户" data overwrite a real profile', async () => {
    const olga = await s.login('olga');
    const real = s.userInfo('olga', APPID, false);
    assert.equal((await s.call('POST', '/v1/me/userinfo', { token: olga.body.accessToken, body: real })).status, 200);
    const anonymous = s.userInfo('olga', APPID, true);
    assert.equal(anonymous.userInfo.nickName, '微信用户');
    const res = await s.call('POST', '/v1/me/userinfo', { token: olga.body.accessToken, body: anonymous });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.user.nickname, real.userInfo.nickName);
    assert.equal(res.body.user.avatarUrl, real.userInfo.avatarUrl);
  });
});
