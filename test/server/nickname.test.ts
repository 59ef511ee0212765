import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachDialect } from '../helpers/databases.ts';
import { type Stack, startStack } from './stack.ts';

const patch = (s: Stack, token: string, nickname: unknown) => s.call('PATCH', '/v1/me', { token, body: { nickname } });

forEachDialect('nickname', (h) => {
  describe('with CONTENT_CHECK=on (failures fail open)', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h, { env: { CONTENT_CHECK: 'on' } });
    });

    it('stores a nickname WeChat passes, trimmed, and completes the profile with an avatar', async () => {
      const { accessToken } = (await s.login('nina')).body;
      const before = s.upstreamCalls('msg_sec_check');
      const res = await patch(s, accessToken, '  小鱼儿 🐟 ');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.user.nickname, '小鱼儿 🐟');
      assert.equal(res.body.user.nicknameUnderReview, false);
      assert.deepEqual(res.body.next, ['profile_incomplete', 'phone_missing']);
      assert.equal(s.upstreamCalls('msg_sec_check') - before, 1);
      assert.equal((await s.call('GET', '/v1/me', { token: accessToken })).body.user.nickname, '小鱼儿 🐟');
      // wx.request has no PATCH: POST /v1/me is the same route.
      const viaPost = await s.call('POST', '/v1/me', { token: accessToken, body: { nickname: 'Nina' } });
      assert.equal(viaPost.status, 200, viaPost.text);
      assert.equal(viaPost.body.user.nickname, 'Nina');
    });

    it('refuses a nickname the word list calls risky with 422 and the label, keeping the old one', async () => {
      const { accessToken } = (await s.login('otto')).body;
      await patch(s, accessToken, 'Otto');
      const res = await patch(s, accessToken, 'I am risky-word');
      assert.equal(res.status, 422, res.text);
      assert.equal(res.body.code, 'CONTENT_RISKY');
      assert.equal(res.body.details.label, 20003);
      assert.match(res.body.details.traceId, /^[0-9a-f]{8}-/);
      assert.match(res.body.message, /abuse/);
      assert.equal((await s.call('GET', '/v1/me', { token: accessToken })).body.user.nickname, 'Otto');
    });

    it('stores a nickname WeChat wants reviewed, flagged, and clears the flag when a new one passes', async () => {
      const { accessToken } = (await s.login('pia')).body;
      const review = await patch(s, accessToken, '加微信 pia');
      assert.equal(review.status, 200, review.text);
      assert.equal(review.body.user.nickname, '加微信 pia');
      assert.equal(review.body.user.nicknameUnderReview, true);
      const pass = await patch(s, accessToken, 'Pia');
      assert.equal(pass.body.user.nicknameUnderReview, false);
      const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
      assert.match(metrics, /weapp_auth_content_checks_total\{result="review"\} [1-9]/);
      assert.match(metrics, /weapp_auth_content_checks_total\{result="risky"\} [1-9]/);
    });

    it("checks as the user of the token's app, with that app's access token", async () => {
      const { accessToken } = (await s.login('quin', {}, 'wx0123456789abcdef')).body;
      const before = s.upstreamCalls('msg_sec_check', 'wx0123456789abcdef');
      const res = await patch(s, accessToken, 'Quin');
      assert.equal(res.status, 200, res.text);
      assert.equal(s.upstreamCalls('msg_sec_check', 'wx0123456789abcdef') - before, 1);
    });

    it('stores the nickname flagged for review when WeChat is down (fail open)', async () => {
      const { accessToken } = (await s.login('rosa')).body;
      const fault = s.emulator.control.addFault({ api: 'msg_sec_check', fail: 'drop' });
      try {
        const res = await patch(s, accessToken, 'Rosa');
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.user.nickname, 'Rosa');
        assert.equal(res.body.user.nicknameUnderReview, true);
      } finally {
        s.emulator.control.removeFault(fault.id);
      }
      assert.ok(s.logs.some((l) => l.includes('nickname content check failed') && l.includes('"policy":"open"')));
    });

    it('refuses empty, overlong, control-character and placeholder nicknames without asking WeChat', async () => {
      const { accessToken } = (await s.login('sam')).body;
      const before = s.upstreamCalls('msg_sec_check');
      const cases: [unknown, number, string, RegExp][] = [
        ['   ', 400, 'INVALID_NICKNAME', /empty/],
        ['x'.repeat(33), 400, 'INVALID_NICKNAME', /longer than 32/],
        ['a\nb', 400, 'INVALID_NICKNAME', /control or invisible/],
        ['a\u0000b', 400, 'INVALID_NICKNAME', /control or invisible/],
        ['evil\u202Egnp.exe', 400, 'INVALID_NICKNAME', /control or invisible/],
        ['zero\u200Bwidth', 400, 'INVALID_NICKNAME', /control or invisible/],
        ['微信用户', 400, 'INVALID_NICKNAME', /placeholder/],
        [' 微信用户 ', 400, 'INVALID_NICKNAME', /placeholder/],
        ['x'.repeat(300), 400, 'INVALID_REQUEST', /nickname/],
        [{ first: 'Sam' }, 400, 'INVALID_REQUEST', /nickname/],
      ];
      for (const [nickname, status, code, message] of cases) {
        const res = await patch(s, accessToken, nickname);
        assert.equal(res.status, status, `${JSON.stringify(nickname)} → ${res.text}`);
        assert.equal(res.body.code, code, JSON.stringify(nickname));
        assert.match(res.body.message, message, JSON.stringify(nickname));
      }
      const extra = await s.call('PATCH', '/v1/me', { token: accessToken, body: { nickname: 'Sam', avatarUrl: 'x' } });
      assert.equal(extra.status, 400);
      assert.equal(s.upstreamCalls('msg_sec_check') - before, 0);
      // 32 characters as people count them: a family emoji of 7 code points is one.
      const family = '👨‍👩‍👧‍👦';
      const ok = await patch(s, accessToken, `${'x'.repeat(31)}${family}`);
      assert.equal(ok.status, 200, ok.text);
      const unauthenticated = await s.call('PATCH', '/v1/me', { body: { nickname: 'Sam' } });
      assert.equal(unauthenticated.status, 401);
    });
  });

  describe('with CONTENT_CHECK_FAILURE=closed', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h, { env: { CONTENT_CHECK: 'on', CONTENT_CHECK_FAILURE: 'closed' } });
    });

    it('refuses with 503 while WeChat is down, and stores once it is back', async () => {
      const { accessToken } = (await s.login('tina')).body;
      const fault = s.emulator.control.addFault({ api: 'msg_sec_check', errcode: -1 });
      let res: Awaited<ReturnType<typeof patch>>;
      try {
        res = await patch(s, accessToken, 'Tina');
      } finally {
        s.emulator.control.removeFault(fault.id);
      }
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.code, 'CONTENT_CHECK_UNAVAILABLE');
      assert.equal(res.body.details.errcode, -1);
      assert.equal((await s.call('GET', '/v1/me', { token: accessToken })).body.user.nickname, null);
      const again = await patch(s, accessToken, 'Tina');
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.user.nicknameUnderReview, false);
    });
  });

  describe('with CONTENT_CHECK=off (the default)', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('stores what the user typed without calling WeChat', async () => {
      const { accessToken } = (await s.login('uma')).body;
      const res = await patch(s, accessToken, 'risky-word uma');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.user.nickname, 'risky-word uma');
      assert.equal(s.upstreamCalls('msg_sec_check'), 0);
    });
  });
});
