import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { AuthError } from '../../packages/miniprogram/src/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, APPID2, type Stack, startStack } from '../server/stack.ts';
import { phone } from './phone.ts';

const metric = async (s: Stack, verification: string) => {
  const text = await fetch(`${s.url}/metrics`).then((r) => r.text());
  const line = new RegExp(`^weapp_auth_phone_verifications_total\\{verification="${verification}"\\} (\\d+)$`, 'm');
  return Number(line.exec(text)?.[1] ?? 0);
};

forEachDialect(
  'mini program SDK: quick and real-time phone verification, the quota',
  (h) => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('the real-time button binds the number; server metrics and the emulator bill each kind apart', async () => {
      const usage = s.emulator.control.phoneUsage(APPID);
      const quick = phone(s, 'rt-ann');
      await quick.auth.login();
      await quick.auth.bindPhone(await quick.wx.buttons.getPhoneNumber());
      const realtime = phone(s, 'rt-ben');
      await realtime.auth.login();
      const e = await realtime.wx.buttons.getRealtimePhoneNumber();
      assert.equal(e.type, 'getrealtimephonenumber');
      assert.equal(e.detail.errMsg, 'getRealtimePhoneNumber:ok');
      assert.equal(e.detail.encryptedData, undefined, 'a code only');
      const user = await realtime.auth.bindPhone(e);
      assert.equal(user.phoneNumber, s.emulator.control.user('rt-ben').profile.purePhoneNumber);
      const body = realtime.wx.log.find((x) => x.api === 'request' && String(x.detail.url).endsWith('/v1/me/phone'));
      assert.deepEqual(body?.detail.data, { code: e.detail.code, verification: 'realtime' });
      assert.equal(await metric(s, 'quick'), 1);
      assert.equal(await metric(s, 'realtime'), 1);
      assert.deepEqual(s.emulator.control.phoneUsage(APPID), {
        appid: APPID,
        quick: usage.quick + 1,
        realtime: usage.realtime + 1,
        remaining: usage.remaining - 2,
      });
      assert.ok(s.logs.some((l) => l.includes('phone number bound') && l.includes('"verification":"realtime"')));
    });

    it('a refusal is free; a spent quota answers errno 1400001 before the user is asked: PHONE_QUOTA_EXHAUSTED', async () => {
      const p = phone(s, 'rt-cid', { appid: APPID2, behaviour: { deniesDialogs: true } });
      await p.auth.login();
      s.emulator.control.setPhoneQuota(APPID2, 1);
      await assert.rejects(p.auth.bindPhone(await p.wx.buttons.getRealtimePhoneNumber()), { code: 'PHONE_DENIED' });
      assert.equal(s.emulator.control.phoneUsage(APPID2).remaining, 1);
      p.user.deniesDialogs = false;
      await p.auth.bindPhone(await p.wx.buttons.getPhoneNumber());
      const prompts = p.user.prompts.length;
      for (const press of [() => p.wx.buttons.getPhoneNumber(), () => p.wx.buttons.getRealtimePhoneNumber()]) {
        const e = await press();
        assert.equal(e.detail.errno, 1400001);
        await assert.rejects(p.auth.bindPhone(e), (err) => {
          assert.ok(err instanceof AuthError);
          assert.equal(err.code, 'PHONE_QUOTA_EXHAUSTED');
          assert.deepEqual(err.details, { errno: 1400001 });
          return true;
        });
      }
      assert.equal(p.user.prompts.length, prompts, 'nobody was asked');
      assert.deepEqual(s.emulator.control.phoneUsage(APPID2), { appid: APPID2, quick: 1, realtime: 0, remaining: 0 });
    });

    it("the emulator's control API: GET and PUT /__emulator/phone-usage/:appid, bad quotas refused", async () => {
      const url = `${s.emulator.url}/__emulator/phone-usage/${APPID2}`;
      const put = (body: unknown) =>
        fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal((await put({ remaining: -1 })).status, 400);
      assert.equal((await put({ remaining: 'many' })).status, 400);
      const set = await put({ remaining: 5 });
      assert.equal(set.status, 200);
      assert.equal(((await set.json()) as { remaining: number }).remaining, 5);
      const got = (await fetch(url).then((r) => r.json())) as { appid: string; remaining: number };
      assert.deepEqual([got.appid, got.remaining], [APPID2, 5]);
    });
  },
  { only: ['sqlite'] },
);
