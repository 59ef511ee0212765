import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { listAuditEvents } from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, APPID2, type Stack, startStack } from './stack.ts';

/** Users and identities the database holds for this emulator user in APPID. */
async function rowsOf(s: Stack, user: string) {
  const { openid } = s.emulator.control.identity(APPID, user);
  const db = s.ctx.store.db;
  const identities = await db.selectFrom('identities').select('user_id').where('openid', '=', openid).execute();
  return { openid, identities: identities.length };
}

const rankCalls = (s: Stack, appid = APPID) => s.upstreamCalls('getuserriskrank', appid);

forEachDialect('sign-up risk (getuserriskrank at the first login)', (h) => {
  describe('off by default', () => {
    it('signs up a user WeChat rates 4 without asking WeChat', async () => {
      const s = await startStack(h);
      s.emulator.control.upsertUser({ user: 'off-rank4', riskRank: 4 });
      const login = await s.login('off-rank4');
      assert.equal(login.status, 200, login.text);
      assert.equal(login.body.isNewUser, true);
      assert.equal(rankCalls(s), 0);
    });
  });

  describe('SIGNUP_RISK_MAX_RANK=1 behind one proxy (TRUST_PROXY=1)', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h, { env: { SIGNUP_RISK_MAX_RANK: '1', TRUST_PROXY: '1' } });
    });

    it('refuses a new user ranked above 1 with a typed 403, creating nothing, audited with the client IP', async () => {
      s.emulator.control.upsertUser({ user: 'risk-mal', riskRank: 3 });
      const { code } = s.emulator.control.login(APPID, 'risk-mal');
      const res = await s.call('POST', '/v1/login', {
        body: { code, appid: APPID },
        headers: { 'x-forwarded-for': '203.0.113.9', 'accept-language': 'zh-CN' },
      });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.body.code, 'SIGNUP_RISK_REFUSED');
      assert.match(res.body.message, /SIGNUP_RISK_MAX_RANK/);
      assert.equal(res.body.details, undefined, 'the rank itself stays with the operator');
      const { openid, identities } = await rowsOf(s, 'risk-mal');
      assert.equal(identities, 0, 'no identity, so no user');
      assert.equal(rankCalls(s), 1);

      const [event] = await listAuditEvents(s.ctx.store.db, { type: 'signup.refused' });
      assert.ok(event, 'the refusal is audited');
      assert.equal(event.appid, APPID);
      assert.equal(event.userId, null);
      assert.equal(event.ip, '203.0.113.9', 'the client as resolved under TRUST_PROXY, not the proxy');
      assert.deepEqual(event.details, { openid, reason: 'risk_rank', riskRank: 3, maxRank: 1 });
    });

    it('signs up a user ranked 1, recording the rank; a returning user is not rated again', async () => {
      s.emulator.control.upsertUser({ user: 'risk-ok', riskRank: 1 });
      const before = rankCalls(s);
      const first = await s.login('risk-ok');
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.isNewUser, true);
      assert.equal(rankCalls(s), before + 1);
      const [signup] = await listAuditEvents(s.ctx.store.db, { userId: first.body.user.id, type: 'login' });
      assert.deepEqual(signup?.details, { newUser: true, signupRisk: { riskRank: 1 } });

      // WeChat now rates the user 4: a returning user is not a sign-up, so not asked about.
      s.emulator.control.upsertUser({ user: 'risk-ok', riskRank: 4 });
      const again = await s.login('risk-ok');
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.user.id, first.body.user.id);
      // The same person opening a sister app (same unionid) joins the existing user: not a sign-up either.
      const sister = await s.login('risk-ok', {}, APPID2);
      assert.equal(sister.status, 200, sister.text);
      assert.equal(sister.body.user.id, first.body.user.id);
      assert.equal(rankCalls(s), before + 1);
      assert.equal(rankCalls(s, APPID2), 0);
      const [latest] = await listAuditEvents(s.ctx.store.db, { userId: first.body.user.id, type: 'login' });
      assert.deepEqual(latest?.details, { newUser: false });
    });

    it('signs up unrated when WeChat cannot answer (SIGNUP_RISK_FAILURE=open, the default), saying why', async () => {
      const fault = s.emulator.control.addFault({ api: 'getuserriskrank', errcode: 48001 });
      try {
        s.emulator.control.upsertUser({ user: 'risk-open', riskRank: 4 });
        const login = await s.login('risk-open');
        assert.equal(login.status, 200, login.text);
        const [event] = await listAuditEvents(s.ctx.store.db, { userId: login.body.user.id, type: 'login' });
        assert.deepEqual(event?.details, { newUser: true, signupRisk: { riskRank: null, errcode: 48001 } });
        assert.ok(
          s.logs.some((line) => line.includes('sign-up risk check failed') && line.includes('"level":50')),
          'a missing permission is logged as an error: someone has to enable the API',
        );
      } finally {
        s.emulator.control.removeFault(fault.id);
      }
    });
  });

  describe('SIGNUP_RISK_FAILURE=closed', () => {
    it('refuses the sign-up with a 503 while WeChat is down, and signs up once it answers', async () => {
      const s = await startStack(h, { env: { SIGNUP_RISK_MAX_RANK: '2', SIGNUP_RISK_FAILURE: 'closed' } });
      const fault = s.emulator.control.addFault({ api: 'getuserriskrank', fail: 'system-error' });
      const refused = await s.login('risk-closed');
      assert.equal(refused.status, 503, refused.text);
      assert.equal(refused.body.code, 'SIGNUP_RISK_UNAVAILABLE');
      assert.deepEqual(refused.body.details, { errcode: -1 });
      assert.equal((await rowsOf(s, 'risk-closed')).identities, 0);
      const [event] = await listAuditEvents(s.ctx.store.db, { type: 'signup.refused' });
      assert.equal(event?.details?.reason, 'check_failed');

      s.emulator.control.removeFault(fault.id);
      const login = await s.login('risk-closed');
      assert.equal(login.status, 200, login.text);
      assert.equal(login.body.isNewUser, true);
    });
  });
});
