import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AuthError, type LoginResult } from '../../packages/miniprogram/src/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, APPID2, type Stack, startStack } from '../server/stack.ts';
import { claims, phone } from './phone.ts';

const tokensKey = (appid = APPID) => `weapp-auth:${appid}:tokens`;

function storedTokens(wx: { getStorageSync(key: string): unknown }, appid = APPID) {
  return wx.getStorageSync(tokensKey(appid)) as { accessToken: string; refreshToken: string };
}

forEachDialect('mini program SDK', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h);
  });

  describe('login', () => {
    it('first login: wx.login → /v1/login → tokens in namespaced storage, profile cached, event fired', async () => {
      const p = phone(s, 'sdk-ann');
      const events: LoginResult[] = [];
      p.auth.on('login', (e) => events.push(e));
      assert.equal(p.auth.isLoggedIn, false);
      const result = await p.auth.login();
      assert.equal(result.isNewUser, true);
      assert.deepEqual(result.next, ['profile_incomplete', 'phone_missing']);
      assert.equal(p.auth.user?.id, result.user.id);
      assert.equal(p.auth.isLoggedIn, true);
      assert.deepEqual(events, [result]);
      const tokens = storedTokens(p.wx);
      assert.equal(claims(tokens.accessToken).sub, result.user.id);
      assert.match(tokens.refreshToken, /\S{20,}/);
      assert.equal(p.calls('login'), 1);
    });

    it('concurrent callers share one login', async () => {
      const p = phone(s, 'sdk-ben');
      const results = await Promise.all([p.auth.login(), p.auth.login(), p.auth.login()]);
      assert.equal(p.calls('login'), 1);
      assert.equal(p.calls('request', '/v1/login'), 1);
      assert.deepEqual(new Set(results.map((r) => r.user.id)).size, 1);
    });

    it('logs into the app the phone runs (Referer), with its own storage keys', async () => {
      const p = phone(s, 'sdk-cat', { appid: APPID2 });
      await p.auth.login();
      assert.equal(claims(storedTokens(p.wx, APPID2).accessToken).aud, APPID2);
      assert.equal(p.wx.getStorageSync(tokensKey(APPID)), '');
    });

    it('restart with stored tokens: the profile is there and requests work without wx.login', async () => {
      const p = phone(s, 'sdk-dan');
      const first = await p.auth.login();
      const again = p.restart();
      assert.equal(again.isLoggedIn, true);
      assert.equal(again.user?.id, first.user.id);
      const me = await again.me();
      assert.equal(me.id, first.user.id);
      assert.equal(p.calls('login'), 1);
    });

    it('a reused or stale code gets one fresh code, transparently', async () => {
      const p = phone(s, 'sdk-eve');
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, errcode: 40163, count: 1 });
      const used = await p.auth.login();
      assert.equal(p.calls('login'), 2);
      assert.equal(p.calls('request', '/v1/login'), 2);
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, errcode: 40029, count: 1 });
      const stale = await p.auth.login();
      assert.equal(stale.user.id, used.user.id);
      assert.equal(p.calls('login'), 4);
    });

    it('gives up after the second code, with the server code', async () => {
      const p = phone(s, 'sdk-fay');
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, errcode: 40163, count: 2 });
      await assert.rejects(p.auth.login(), (err: AuthError) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'CODE_USED');
        assert.equal(err.statusCode, 409);
        return true;
      });
      assert.equal(p.calls('login'), 2);
      assert.equal(p.auth.isLoggedIn, false);
    });
  });

  describe('request', () => {
    it('logs in first when no session is held, then sends the bearer token', async () => {
      const p = phone(s, 'sdk-gus');
      const res = await p.auth.request<{ user: { id: string } }>({ url: '/v1/me' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.data.user.id, p.auth.user?.id);
      assert.equal(p.calls('login'), 1);
    });

    it('a revoked session is replaced by a new login, transparently', async () => {
      const p = phone(s, 'sdk-hal');
      const first = await p.auth.login();
      await s.ctx.tokens.revoke(claims(storedTokens(p.wx).accessToken).sid);
      const me = await p.auth.me();
      assert.equal(me.id, first.user.id);
      assert.equal(p.calls('login'), 2);
      // SESSION_REVOKED: a refresh cannot help, so none is tried.
      assert.equal(p.calls('request', '/v1/token/refresh'), 0);
      assert.equal(p.calls('request', '/v1/me'), 2);
    });

    it('errors carry the server code, message and status', async () => {
      const p = phone(s, 'sdk-ida');
      await assert.rejects(
        p.auth.request({ url: '/v1/me/userinfo', method: 'POST', data: { iv: 'x' } }),
        (err: AuthError) => {
          assert.ok(err instanceof AuthError);
          assert.equal(err.code, 'INVALID_REQUEST');
          assert.equal(err.statusCode, 400);
          assert.match(err.message, /encryptedData/);
          return true;
        },
      );
      await assert.rejects(p.auth.request({ url: '/v1/nowhere' }), { code: 'NOT_FOUND', statusCode: 404 });
    });

    it('a server that cannot be reached is NETWORK_ERROR with WeChat errMsg', async () => {
      // Retried with fresh codes first (retry.test.ts); short waits here.
      const p = phone(s, 'sdk-jon', { auth: { baseUrl: 'http://127.0.0.1:9', retry: { maxDelayMs: 1 } } });
      await assert.rejects(p.auth.login(), (err: AuthError) => {
        assert.equal(err.code, 'NETWORK_ERROR');
        assert.match(err.errMsg ?? '', /^request:fail /);
        return true;
      });
    });

    it('logout ends the session on the server and forgets it here', async () => {
      const p = phone(s, 'sdk-kim');
      await p.auth.login();
      const { accessToken } = storedTokens(p.wx);
      const reasons: string[] = [];
      p.auth.on('logout', (e) => reasons.push(e.reason));
      await p.auth.logout();
      assert.deepEqual(reasons, ['logout']);
      assert.equal(p.auth.isLoggedIn, false);
      assert.equal(p.auth.user, undefined);
      assert.equal(p.wx.getStorageSync(tokensKey()), '');
      const me = await s.call('GET', '/v1/me', { token: accessToken });
      assert.equal(me.status, 401);
      assert.equal(me.body.code, 'SESSION_REVOKED');
    });
  });

  describe('legacy user info', () => {
    it('stores the profile WeChat seals with the session_key the server holds', async () => {
      const p = phone(s, 'sdk-lea');
      const user = await p.auth.getUserInfo();
      const profile = s.emulator.control.user('sdk-lea').profile;
      assert.equal(user.nickname, profile.nickName);
      assert.equal(user.avatarUrl, profile.avatarUrl);
      assert.equal(p.auth.user?.nickname, profile.nickName);
      assert.equal(p.calls('checkSession'), 1);
    });

    it('the user denies, then grants in the settings: one call, with the wording hooks', async () => {
      const p = phone(s, 'sdk-max', {
        behaviour: { deniesDialogs: true, grantsInSettings: true },
        auth: { prompts: { userInfo: { title: 'Profile needed' } } },
      });
      const user = await p.auth.getUserInfo({ prompt: { content: 'Turn on user info' } });
      assert.equal(user.nickname, s.emulator.control.user('sdk-max').profile.nickName);
      assert.deepEqual(
        p.user.prompts.map((x) => x.kind),
        ['authorize', 'modal', 'settings'],
      );
      const modal = p.user.prompts[1];
      assert.ok(modal?.kind === 'modal');
      assert.equal(modal.modal.title, 'Profile needed');
      assert.equal(modal.modal.content, 'Turn on user info');
      assert.equal(modal.modal.confirmText, '去设置');
      assert.equal(p.calls('getUserInfo'), 2);
    });

    it('the user keeps it off: AUTH_DENIED; the next call asks again and succeeds on grant', async () => {
      const p = phone(s, 'sdk-ned', { behaviour: { deniesDialogs: true, grantsInSettings: false } });
      await assert.rejects(p.auth.getUserInfo(), { code: 'AUTH_DENIED' });
      p.user.confirmsModals = false;
      await assert.rejects(p.auth.getUserInfo(), { code: 'AUTH_DENIED' });
      p.user.confirmsModals = true;
      p.user.grantsInSettings = true;
      const user = await p.auth.getUserInfo();
      assert.ok(user.nickname);
      // WeChat never asks twice: after the refusal only the settings page can turn it on.
      assert.equal(p.user.prompts.filter((x) => x.kind === 'authorize').length, 1);
      assert.equal(p.calls('openSetting'), 2);
    });

    it('a session_key that expired on the phone is renewed by a login before WeChat seals the data', async () => {
      const p = phone(s, 'sdk-oli');
      await p.auth.login();
      // The phone's session_key outlives neither its TTL nor a long absence.
      s.emulator.control.advanceClock(4 * 24 * 3600 * 1000);
      const user = await p.auth.getUserInfo();
      assert.ok(user.nickname);
      assert.equal(p.calls('login'), 2);
      assert.equal(p.calls('getUserInfo'), 1);
    });

    it('the session_key race: no wx.login runs between collecting the data and posting it', async () => {
      const p = phone(s, 'sdk-pam');
      await p.auth.login();
      const [user] = await Promise.all([
        p.auth.getUserInfo(),
        p.auth.login(),
        p.auth.getUserInfo(),
        p.auth.login().then(() => p.auth.login()),
      ]);
      assert.ok(user.nickname);
      const steps = p.wx.log.filter(
        (e) =>
          (e.api === 'login' && e.phase === 'call') ||
          (e.api === 'getUserInfo' && e.phase === 'ok') ||
          (e.api === 'request' && e.phase === 'ok' && e.detail.statusCode !== undefined),
      );
      const requestUrls = new Map(
        p.wx.log.filter((e) => e.api === 'request' && e.phase === 'call').map((e) => [e.id, String(e.detail.url)]),
      );
      let collected = false;
      for (const step of steps) {
        if (step.api === 'getUserInfo') collected = true;
        if (step.api === 'login') assert.equal(collected, false, 'wx.login ran while open data was in flight');
        if (step.api === 'request' && requestUrls.get(step.id)?.endsWith('/v1/me/userinfo')) collected = false;
      }
      assert.equal(p.calls('getUserInfo'), 2);
    });

    it('data the server cannot decrypt any more is collected again after a fresh login', async () => {
      const p = phone(s, 'sdk-quy');
      await p.auth.login();
      // Two wx.login elsewhere (another SDK instance, plain code): the server holds neither key.
      s.emulator.control.login(APPID, 'sdk-quy');
      s.emulator.control.login(APPID, 'sdk-quy');
      const user = await p.auth.getUserInfo();
      assert.ok(user.nickname);
      assert.equal(p.calls('getUserInfo'), 2);
      assert.equal(p.calls('login'), 2);
    });

    it('getUserProfile works from a tap handler only, and a refusal is AUTH_DENIED', async () => {
      const p = phone(s, 'sdk-rae');
      await p.auth.login();
      await assert.rejects(p.auth.getUserProfile({ desc: 'Show your name' }), (err: AuthError) => {
        assert.equal(err.code, 'WX_API_FAILED');
        assert.equal(err.errMsg, 'getUserProfile:fail can only be invoked by user TAP gesture.');
        return true;
      });
      const user = await p.wx.tap(() => p.auth.getUserProfile({ desc: 'Show your name' }));
      assert.equal(user.nickname, s.emulator.control.user('sdk-rae').profile.nickName);
      p.user.deniesDialogs = true;
      await assert.rejects(
        p.wx.tap(() => p.auth.getUserProfile({ desc: 'Show your name' })),
        { code: 'AUTH_DENIED' },
      );
    });
  });
});

forEachDialect('mini program SDK with short-lived access tokens', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h, { env: { ACCESS_TOKEN_TTL: '60' } });
  });

  it('an expired access token is refreshed transparently', async () => {
    const p = phone(s, 'ttl-ann');
    const first = await p.auth.login();
    const before = storedTokens(p.wx);
    s.clock.offsetMs += 120_000;
    const me = await p.auth.me();
    assert.equal(me.id, first.user.id);
    assert.equal(p.calls('request', '/v1/token/refresh'), 1);
    assert.equal(p.calls('login'), 1);
    const after = storedTokens(p.wx);
    assert.notEqual(after.accessToken, before.accessToken);
    assert.notEqual(after.refreshToken, before.refreshToken);
  });

  it('20 concurrent requests with an expired token share one refresh', async () => {
    const p = phone(s, 'ttl-ben');
    const first = await p.auth.login();
    s.clock.offsetMs += 120_000;
    const answers = await Promise.all(Array.from({ length: 20 }, () => p.auth.me()));
    assert.ok(answers.every((u) => u.id === first.user.id));
    assert.equal(p.calls('request', '/v1/token/refresh'), 1);
    assert.equal(p.calls('login'), 1);
    // Each request at most once more: its retry after the refresh.
    assert.ok(p.calls('request', '/v1/me') <= 40);
  });

  it('a refresh token that no longer works falls back to a new login', async () => {
    const p = phone(s, 'ttl-cid');
    await p.auth.login();
    const { refreshToken } = storedTokens(p.wx);
    // Someone else used the refresh token (and was given the next one): ours is now a replay.
    const stolen = await s.call('POST', '/v1/token/refresh', { body: { refreshToken } });
    assert.equal(stolen.status, 200);
    await s.ctx.store.db
      .updateTable('sessions')
      .set({ last_used_at: Date.now() - 60_000 })
      .where('replaced_by', 'is not', null)
      .execute();
    s.clock.offsetMs += 120_000;
    const me = await p.auth.me();
    assert.ok(me.id);
    assert.equal(p.calls('request', '/v1/token/refresh'), 1);
    assert.equal(p.calls('login'), 2);
  });

  it('logout with an expired access token still ends the session', async () => {
    const p = phone(s, 'ttl-dee');
    await p.auth.login();
    const { refreshToken } = storedTokens(p.wx);
    s.clock.offsetMs += 120_000;
    await p.auth.logout();
    const refresh = await s.call('POST', '/v1/token/refresh', { body: { refreshToken } });
    assert.equal(refresh.status, 401);
  });
});
