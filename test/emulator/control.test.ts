import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEmulatorApp, type UserView } from '../../src/emulator/index.ts';
import { APP, assertWxError, control, HOUR, harness, LONE, START } from './helpers.ts';

describe('control API over HTTP', () => {
  it('starts on loopback and describes itself', async (t) => {
    const { emu } = await harness(t);
    assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await control(emu.url, 'GET', '');
    assert.deepEqual(info.body, {
      emulator: 'weapp-auth',
      seed: 'test-seed',
      sessionKeyRotation: 'always',
      autoCreateApps: false,
      now: START,
    });
  });

  it('plays wx.login and wx.checkSession, answering as the mini program would', async (t) => {
    const { emu, wx } = await harness(t);
    const check = await control(emu.url, 'POST', '/checkSession', { appid: LONE.appid, user: 'alice' });
    assert.deepEqual(check.body, { errMsg: 'checkSession:fail session time out, need relogin' });
    const login = await control(emu.url, 'POST', '/login', { appid: LONE.appid, user: 'alice' });
    assert.equal(login.status, 200);
    const { code, errMsg } = login.body as { code: string; errMsg: string };
    assert.equal(errMsg, 'login:ok');
    assert.ok((await wx.code2session(LONE, code)).body.openid);
    assert.deepEqual((await control(emu.url, 'POST', '/checkSession', { appid: LONE.appid, user: 'alice' })).body, {
      errMsg: 'checkSession:ok',
    });
  });

  it('serves getUserInfo, getUserProfile and getPhoneNumber', async (t) => {
    const { emu } = await harness(t);
    await control(emu.url, 'POST', '/login', { appid: LONE.appid, user: 'alice' });
    const info = await control(emu.url, 'POST', '/getUserInfo', {
      appid: LONE.appid,
      user: 'alice',
      anonymous: false,
      lang: 'zh_TW',
    });
    assert.deepEqual(Object.keys(info.body as object), [
      'userInfo',
      'rawData',
      'signature',
      'encryptedData',
      'iv',
      'errMsg',
    ]);
    const profile = await control(emu.url, 'POST', '/getUserProfile', {
      appid: LONE.appid,
      user: 'alice',
      desc: '完善资料',
    });
    assert.equal((profile.body as { errMsg: string }).errMsg, 'getUserProfile:ok');
    const phone = await control(emu.url, 'POST', '/getPhoneNumber', { appid: LONE.appid, user: 'alice' });
    assert.deepEqual(Object.keys(phone.body as object), ['errMsg', 'code', 'encryptedData', 'iv']);
    const bad = await control(emu.url, 'POST', '/getUserInfo', { appid: LONE.appid, user: 'alice', lang: 'fr' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {
      error: 'INVALID_ARGUMENT',
      message: 'lang must be one of en, zh_CN, zh_TW',
      errMsg: 'getUserInfo:fail lang must be one of en, zh_CN, zh_TW',
    });
  });

  it('answers 404 for an unregistered app, with the errMsg a wx stand-in can pass on', async (t) => {
    const { emu } = await harness(t);
    const answer = await control(emu.url, 'POST', '/login', { appid: 'wx0000000000000000', user: 'alice' });
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, {
      error: 'UNKNOWN_APP',
      message: 'no app wx0000000000000000: register it first (or start with autoCreateApps)',
      errMsg: 'login:fail no app wx0000000000000000: register it first (or start with autoCreateApps)',
    });
    const missing = await control(emu.url, 'POST', '/login', { appid: LONE.appid });
    assert.equal(missing.status, 400);
  });

  it('registers apps and lists them without their secrets', async (t) => {
    const { emu, wx } = await harness(t);
    const added = await control(emu.url, 'POST', '/apps', { appid: 'wx00000000000000ab', secret: 'shh', name: 'New' });
    assert.equal(added.status, 201);
    assert.deepEqual(added.body, { appid: 'wx00000000000000ab', name: 'New', hasSecret: true });
    const listed = await control(emu.url, 'GET', '/apps');
    assert.equal(JSON.stringify(listed.body).includes(LONE.secret), false);
    assert.equal((listed.body as unknown[]).length, 4);
    assert.ok((await wx.token({ appid: 'wx00000000000000ab', secret: 'shh' })).body.access_token);
    assert.equal((await control(emu.url, 'POST', '/apps', { appid: 'wx1', secret: '' })).status, 400);
    assert.equal((await control(emu.url, 'POST', '/apps', { appid: 'a:b', secret: 'x' })).status, 400);
  });

  it('creates users with a profile, or generates a realistic one on first use', async (t) => {
    const { emu } = await harness(t);
    const made = await control(emu.url, 'POST', '/users', {
      user: 'band',
      nickName: 'Band',
      gender: 1,
      city: 'Guangzhou',
      province: 'Guangdong',
      country: 'CN',
      language: 'zh_CN',
      phoneNumber: '13580006666',
      countryCode: '86',
    });
    assert.equal(made.status, 200);
    const band = made.body as UserView;
    assert.deepEqual(
      { ...band.profile, avatarUrl: undefined },
      {
        nickName: 'Band',
        avatarUrl: undefined,
        gender: 1,
        language: 'zh_CN',
        city: 'Guangzhou',
        province: 'Guangdong',
        country: 'CN',
        phoneNumber: '13580006666',
        purePhoneNumber: '13580006666',
        countryCode: '86',
      },
    );
    await control(emu.url, 'POST', '/login', { appid: APP.appid, user: 'zoe' });
    const zoe = (await control(emu.url, 'GET', '/users/zoe')).body as UserView;
    assert.ok(zoe.profile.nickName.length > 0);
    assert.match(zoe.profile.avatarUrl, /^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/vi_32\/[A-Za-z0-9]{88}\/132$/);
    assert.match(zoe.profile.purePhoneNumber, /^1[35789]\d{9}$/);
    assert.ok([1, 2].includes(zoe.profile.gender));
    assert.equal(zoe.identities.length, 1);
    assert.equal(zoe.identities[0]?.appid, APP.appid);
    assert.equal(zoe.identities[0]?.loggedIn, true);
    assert.equal(zoe.identities[0]?.unionid, emu.control.identity(APP.appid, 'zoe').unionid);
    assert.deepEqual(
      ((await control(emu.url, 'GET', '/users')).body as UserView[]).map((u) => u.user),
      ['band', 'zoe'],
    );
    assert.equal((await control(emu.url, 'GET', '/users/nobody')).status, 404);
    assert.equal((await control(emu.url, 'POST', '/users', { user: 'x', gender: 3 })).status, 400);
    assert.equal((await control(emu.url, 'POST', '/users', { nickName: 'no name' })).status, 400);
    const identity = await control(emu.url, 'GET', `/identity?appid=${LONE.appid}&user=zoe`);
    assert.deepEqual(identity.body, { openid: emu.control.identity(LONE.appid, 'zoe').openid });
  });

  it('advances its clock, and refuses to when running on a clock it was given', async (t) => {
    const { emu, clock } = await harness(t);
    assert.deepEqual((await control(emu.url, 'POST', '/clock/advance', { ms: 2 * HOUR })).body, {
      now: START + 2 * HOUR,
    });
    assert.equal(clock.now(), START + 2 * HOUR);
    assert.deepEqual((await control(emu.url, 'GET', '/clock')).body, { now: START + 2 * HOUR });
    assert.equal((await control(emu.url, 'POST', '/clock/advance', { ms: -1 })).status, 400);

    const fixed = await harness(t, { clock: { now: () => START } });
    const refused = await control(fixed.emu.url, 'POST', '/clock/advance', { ms: 1 });
    assert.equal(refused.status, 409);
    assert.equal((refused.body as { error: string }).error, 'CLOCK_NOT_ADVANCEABLE');
  });

  it('resets to the configured apps with no users, the seed keeping openids', async (t) => {
    const { emu, wx } = await harness(t);
    const openid = emu.control.identity(LONE.appid, 'alice').openid;
    const code = emu.control.login(LONE.appid, 'alice').code;
    emu.control.registerApp({ appid: 'wx00000000000000cd', secret: 's' });
    assert.equal((await control(emu.url, 'POST', '/reset')).status, 204);
    assertWxError(await wx.code2session(LONE, code), 40029);
    assert.deepEqual(emu.control.users(), []);
    assert.deepEqual(
      emu.control.apps().map((a) => a.appid),
      [APP.appid, 'wx1234567890abcdef', LONE.appid],
    );
    assert.equal(emu.control.identity(LONE.appid, 'alice').openid, openid);
    assert.equal((await control(emu.url, 'POST', '/reset', { scope: 'everything' })).status, 400);
  });

  it('reads and replaces the content word lists', async (t) => {
    const { emu } = await harness(t);
    assert.ok(((await control(emu.url, 'GET', '/content-rules')).body as unknown[]).length > 0);
    const rules = [{ word: 'spam', suggest: 'review', label: 10001 }];
    assert.deepEqual((await control(emu.url, 'PUT', '/content-rules', { rules })).body, rules);
    assert.equal(
      (await control(emu.url, 'PUT', '/content-rules', { rules: [{ word: 'x', suggest: 'block', label: 1 }] })).status,
      400,
    );
  });

  it('allows a browser on another origin (CORS), on the control API only', async (t) => {
    const { emu } = await harness(t);
    const origin = 'http://127.0.0.1:5173';
    const preflight = await fetch(`${emu.url}/__emulator/login`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    const answer = await fetch(`${emu.url}/__emulator/users`, { headers: { origin } });
    assert.equal(answer.headers.get('access-control-allow-origin'), origin);
    const wechat = await fetch(`${emu.url}/cgi-bin/token`, { headers: { origin } });
    assert.equal(wechat.headers.get('access-control-allow-origin'), null);
  });

  it('answers 400 for a body that is not JSON, and 404 for what it does not emulate', async (t) => {
    const { emu } = await harness(t);
    const broken = await fetch(`${emu.url}/__emulator/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { errMsg: string }).errMsg.startsWith('login:fail '), true);
    const unknown = await fetch(`${emu.url}/__emulator/no-such-thing`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), {
      error: 'NOT_FOUND',
      message: 'the control API has no POST /__emulator/no-such-thing; see docs/emulator.md',
    });
  });

  // Issue 14, first run 5: a 404 without errcode passed for success with SDKs that check only errcode.
  it('answers a WeChat path it does not emulate as WeChat answers an unknown URL: errcode 40066', async (t) => {
    const { emu } = await harness(t);
    for (const [method, path] of [
      ['GET', '/wxa/getpaidunionid?access_token=x'],
      ['POST', '/cgi-bin/no_such_api?access_token=x'],
      ['GET', '/sns/jscode2session/'],
    ] as const) {
      const res = await fetch(`${emu.url}${path}`, { method, ...(method === 'POST' && { body: '{}' }) });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/plain');
      const body = (await res.json()) as { errcode: number; errmsg: string };
      assert.equal(body.errcode, 40066, path);
      assert.match(body.errmsg, /^invalid url, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
      assert.equal(
        res.headers.get('x-emulator-hint'),
        `the weapp-auth emulator does not serve ${method} ${path.split('?')[0]}; see docs/emulator.md`,
      );
    }
  });
});

describe('autoCreateApps', () => {
  it('creates apps on first use; a phone-created app adopts the first secret a server call presents', async (t) => {
    const { emu, wx } = await harness(t, { apps: [], autoCreateApps: true });
    const code = emu.control.login('wx00000000000000ef', 'alice').code;
    const app = { appid: 'wx00000000000000ef', secret: 'first-secret' };
    assert.deepEqual(emu.control.apps(), [{ appid: app.appid, hasSecret: false }]);
    assert.ok((await wx.code2session(app, code)).body.openid);
    assertWxError(await wx.token({ ...app, secret: 'another' }), 40125);
    assert.ok((await wx.token({ appid: 'wx00000000000000f0', secret: 'any' })).body.access_token);
  });

  it('is off by default: unknown appids answer 40013', async (t) => {
    const { wx } = await harness(t);
    assertWxError(await wx.token({ appid: 'wx00000000000000f0', secret: 'any' }), 40013);
  });
});

describe('buildEmulatorApp', () => {
  it('answers inject() without listening, with the same control object', async () => {
    const app = buildEmulatorApp({ apps: [LONE] });
    const code = app.emulator.login(LONE.appid, 'alice').code;
    const response = await app.inject({
      method: 'GET',
      url: '/sns/jscode2session',
      query: { appid: LONE.appid, secret: LONE.secret, js_code: code, grant_type: 'authorization_code' },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/plain');
    assert.equal((response.json() as { openid: string }).openid, app.emulator.identity(LONE.appid, 'alice').openid);
    await app.close();
  });

  it('refuses bad options with a TypeError', () => {
    assert.throws(() => buildEmulatorApp({ sessionKeyRotation: 'often' as never }), TypeError);
    assert.throws(() => buildEmulatorApp({ sessionKeyTtlMs: 1000 }), TypeError);
    assert.throws(() => buildEmulatorApp({ limits: { tokenPerDay: -1 } }), TypeError);
  });
});
