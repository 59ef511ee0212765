import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { listAuditEvents } from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, APPID2, type Stack, startStack } from './stack.ts';

forEachDialect('POST /v1/login', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h);
  });

  it('logs a new user in, then the same user again', async () => {
    const first = await s.login('alice');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.isNewUser, true);
    assert.equal(first.body.tokenType, 'Bearer');
    assert.equal(first.body.expiresIn, 7200);
    assert.match(first.body.refreshToken, /^rt_/);
    assert.deepEqual(first.body.next, ['profile_incomplete', 'phone_missing']);
    assert.match(first.body.user.id, /^u_/);
    const again = await s.login('alice');
    assert.equal(again.body.isNewUser, false);
    assert.equal(again.body.user.id, first.body.user.id);
  });

  it('a returning login bringing the key already held starts a working session and records its audit event', async () => {
    const first = await s.login('fiona');
    assert.equal(first.status, 200, first.text);
    // The same session_key: on PostgreSQL the identity, session and audit event are one statement.
    const { code } = s.emulator.control.login(APPID, 'fiona', { rotate: false });
    const again = await s.call('POST', '/v1/login', { body: { code }, headers: { 'user-agent': 'fold-test/1' } });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.isNewUser, false);
    assert.equal(again.body.user.id, first.body.user.id);
    assert.deepEqual(again.body.next, ['profile_incomplete', 'phone_missing']);
    const me = await s.call('GET', '/v1/me', { token: again.body.accessToken });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.id, first.body.user.id);
    const sessions = await s.ctx.store.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', first.body.user.id)
      .orderBy('created_at')
      .execute();
    assert.equal(sessions.length, 2);
    assert.equal(sessions[1]?.user_agent, 'fold-test/1');
    assert.equal(sessions[1]?.appid, APPID);
    const refreshed = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: again.body.refreshToken } });
    assert.equal(refreshed.status, 200, refreshed.text);
    const events = await listAuditEvents(s.ctx.store.db, { userId: first.body.user.id, type: 'login' });
    assert.deepEqual(
      events.map((e) => [e.appid, e.details]),
      [
        [APPID, { newUser: false }],
        [APPID, { newUser: true }],
      ],
    );
    assert.equal(events[0]?.ip, events[1]?.ip);
  });

  it('issues an access token any outside service verifies with the JWKS', async () => {
    const { body } = await s.login('bob');
    const jwks = createRemoteJWKSet(new URL(`${s.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.accessToken, jwks, {
      issuer: 'weapp-auth',
      audience: APPID,
    });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.sub, body.user.id);
    assert.equal(payload.openid, s.emulator.control.identity(APPID, 'bob').openid);
    assert.equal(typeof payload.sid, 'string');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 7200);
  });

  it('stores the profile sent with the login (legacy getUserInfo data)', async () => {
    s.emulator.control.login(APPID, 'carol');
    const info = s.userInfo('carol');
    const { code } = s.emulator.control.login(APPID, 'carol', { rotate: false });
    const res = await s.call('POST', '/v1/login', {
      body: { code, encryptedData: info.encryptedData, iv: info.iv, rawData: info.rawData, signature: info.signature },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.user.nickname, info.userInfo.nickName);
    assert.equal(res.body.user.avatarUrl, info.userInfo.avatarUrl);
    assert.deepEqual(res.body.next, ['phone_missing']);
  });

  it('answers a bad code 400 INVALID_CODE and a reused one 409 CODE_USED', async () => {
    const bad = await s.call('POST', '/v1/login', { body: { code: '0716AVll20uHk94SLDml27etM946AVlq' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'INVALID_CODE');
    assert.match(bad.body.message, /wx\.login again/);
    const { code } = s.emulator.control.login(APPID, 'dave');
    assert.equal((await s.call('POST', '/v1/login', { body: { code } })).status, 200);
    const reused = await s.call('POST', '/v1/login', { body: { code } });
    assert.equal(reused.status, 409);
    assert.equal(reused.body.code, 'CODE_USED');
  });

  it('shares one upstream exchange between two concurrent requests with the same code', async () => {
    const before = s.upstreamCalls('jscode2session');
    const { code } = s.emulator.control.login(APPID, 'erin');
    const [a, b] = await Promise.all([
      s.call('POST', '/v1/login', { body: { code } }),
      s.call('POST', '/v1/login', { body: { code } }),
    ]);
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.equal(a.body.user.id, b.body.user.id);
    assert.equal(s.upstreamCalls('jscode2session') - before, 1);
  });

  it('refuses bad input with a clear 4xx, never a 500', async () => {
    const cases: [unknown, number, string][] = [
      [{}, 400, 'INVALID_REQUEST'],
      [{ code: '' }, 400, 'INVALID_REQUEST'],
      [{ code: 'x'.repeat(500) }, 400, 'INVALID_REQUEST'],
      [{ code: 'abc', openid: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE' }, 400, 'INVALID_REQUEST'],
      [{ code: 'abc', appid: 'wx9999999999999999' }, 400, 'UNKNOWN_APP'],
      ['{"code":', 400, 'INVALID_JSON'],
      [{ code: 'abc', encryptedData: 'x'.repeat(100_000) }, 413, 'BODY_TOO_LARGE'],
    ];
    for (const [body, status, code] of cases) {
      const res = await s.call('POST', '/v1/login', { body });
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 60)} → ${res.text}`);
      assert.equal(res.body.code, code);
      assert.equal(typeof res.body.message, 'string');
    }
    const text = await s.call('POST', '/v1/login', { body: 'code=abc', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    assert.equal(text.body.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('picks the app from X-WX-AppId or the Referer WeChat sets', async () => {
    const { code } = s.emulator.control.login(APPID2, 'frank');
    const byHeader = await s.call('POST', '/v1/login', { body: { code }, headers: { 'x-wx-appid': APPID2 } });
    assert.equal(byHeader.status, 200, byHeader.text);
    const { code: code2 } = s.emulator.control.login(APPID2, 'frank');
    const byReferer = await s.call('POST', '/v1/login', {
      body: { code: code2 },
      headers: { referer: `https://servicewechat.com/${APPID2}/12/page-frame.html` },
    });
    assert.equal(byReferer.status, 200, byReferer.text);
    // The same person in two mini programs of one open-platform account is one user.
    const inApp1 = await s.login('frank');
    assert.equal(inApp1.body.user.id, byHeader.body.user.id);
    assert.equal(inApp1.body.isNewUser, false);
  });

  it('creates exactly one user for 50 concurrent first logins of one person', async () => {
    const codes = Array.from({ length: 50 }, () => s.emulator.control.login(APPID, 'grace').code);
    const answers = await Promise.all(codes.map((code) => s.call('POST', '/v1/login', { body: { code } })));
    for (const a of answers) assert.equal(a.status, 200, a.text);
    assert.equal(new Set(answers.map((a) => a.body.user.id)).size, 1);
    assert.equal(answers.filter((a) => a.body.isNewUser).length, 1);
    const users = await s.ctx.store.db.selectFrom('identities').select('user_id').where('appid', '=', APPID).execute();
    const graceOpenid = s.emulator.control.identity(APPID, 'grace').openid;
    const identities = await s.ctx.store.db
      .selectFrom('identities')
      .selectAll()
      .where('openid', '=', graceOpenid)
      .execute();
    assert.equal(identities.length, 1);
    assert.ok(users.length >= 1);
  });

  it('maps WeChat failures: busy → 503 after no retry of the code, rate limit → 429, high-risk → 403', async () => {
    s.emulator.control.addFault({ api: 'jscode2session', errcode: -1, count: 1 });
    const busy = await s.login('heidi');
    assert.equal(busy.status, 503);
    assert.equal(busy.body.code, 'WECHAT_UNAVAILABLE');
    s.emulator.control.addFault({ api: 'jscode2session', errcode: 45011, count: 1 });
    const limited = await s.login('heidi');
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, 'WECHAT_RATE_LIMITED');
    s.emulator.control.addFault({ api: 'jscode2session', errcode: 40226, count: 1 });
    const blocked = await s.login('heidi');
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body.code, 'CODE_BLOCKED');
    s.emulator.control.addFault({ api: 'jscode2session', fail: 'drop', count: 1 });
    const dropped = await s.login('heidi');
    assert.equal(dropped.status, 503);
    assert.equal(dropped.body.code, 'WECHAT_UNAVAILABLE');
    assert.equal((await s.login('heidi')).status, 200);
  });

  it('counts logins and WeChat calls in /metrics, and documents the API at /docs', async () => {
    const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /weapp_auth_logins_total\{outcome="new_user"\} \d+/);
    assert.match(metrics, /weapp_auth_logins_total\{outcome="INVALID_CODE"\} \d+/);
    assert.match(metrics, /weapp_auth_wechat_calls_total\{api="code2Session",errcode="0"\} \d+/);
    assert.match(metrics, /weapp_auth_wechat_calls_total\{api="code2Session",errcode="40029"\} \d+/);
    assert.match(metrics, /weapp_auth_wechat_call_duration_seconds_bucket/);
    const spec = (await s.call('GET', '/docs/json')).body;
    assert.ok(spec.paths['/v1/login'].post);
    assert.ok(spec.paths['/wx/login'].get);
    assert.ok(spec.paths['/v1/me/userinfo'].post);
    assert.equal((await s.call('GET', '/healthz')).body.status, 'ok');
    assert.equal((await s.call('GET', '/readyz')).body.status, 'ready');
    const missing = await s.call('GET', '/nope?secret=1');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'NOT_FOUND');
  });
});
