import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, startEmulator } from '../../../src/emulator/index.ts';
import { WeChatApiError, WeChatClient } from '../../../src/wechat/client/index.ts';

const APP = { appid: 'wx1111222233334444', secret: 'aaaabbbbccccddddeeeeffff00001111' };

// getUserRiskRank against the emulator, which answers as wechat-api.md §18 says WeChat does.
describe('WeChatClient.getUserRiskRank', () => {
  it('sends the documented body and reads risk_rank and the int64 unoin_id', async (t) => {
    const emu = await startEmulator({ clock: new ManualClock(Date.UTC(2026, 0, 5)), seed: 'risk', apps: [APP] });
    const client = new WeChatClient({ baseUrl: emu.url });
    t.after(async () => {
      await client.close();
      await emu.close();
    });
    const { accessToken } = await client.getAccessToken(APP);
    emu.control.login(APP.appid, 'mallory');
    emu.control.upsertUser({ user: 'mallory', riskRank: 4 });
    const { openid } = emu.control.identity(APP.appid, 'mallory');
    const input = { accessToken, appid: APP.appid, openid, scene: 0 as const, clientIp: '203.0.113.7' };
    const result = await client.getUserRiskRank({ ...input, mobileNo: '13800138000', extendedInfo: 'sign-up' });
    assert.equal(result.riskRank, 4);
    assert.ok(result.unoinId >= 2 ** 31, 'WeChat’s per-request id is read whole, beyond 32 bits');
    assert.deepEqual(Object.keys(result), ['riskRank', 'unoinId']);

    const other = emu.control.identity(APP.appid, 'stranger').openid;
    await assert.rejects(client.getUserRiskRank({ ...input, openid: other, scene: 1 }), (err: unknown) => {
      assert.ok(err instanceof WeChatApiError);
      assert.equal(err.errcode, 61010, 'a user who never opened the mini program has no rank');
      assert.equal(err.category, 'user_inactive');
      return true;
    });
    assert.equal((await client.getUserRiskRank({ ...input, openid: other, isTest: true })).riskRank, 0);
  });

  it('refuses programmer mistakes before sending', async () => {
    const client = new WeChatClient({ baseUrl: 'http://127.0.0.1:9' });
    const base = { accessToken: 't', appid: APP.appid, openid: 'o', scene: 0 as const, clientIp: '1.2.3.4' };
    await assert.rejects(client.getUserRiskRank({ ...base, scene: 2 as never }), /scene must be 0 or 1/);
    await assert.rejects(client.getUserRiskRank({ ...base, clientIp: '' }), /clientIp/);
    await assert.rejects(client.getUserRiskRank({ ...base, isTest: 'yes' as never }), /isTest/);
    await client.close();
  });
});
