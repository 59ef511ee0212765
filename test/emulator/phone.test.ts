import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PhoneNumberResult, WxFail } from '../../src/emulator/index.ts';
import { decryptOpenData } from '../../src/wechat/crypto/index.ts';
import { APP, assertWxError, assertWxOk, harness, LONE, MINUTE, START, type WechatClient } from './helpers.ts';

const PATH = '/wxa/business/getuserphonenumber';

function ok(result: PhoneNumberResult | WxFail): PhoneNumberResult {
  assert.ok('code' in result, result.errMsg);
  return result;
}

function exchange(wx: WechatClient, accessToken: string, body: unknown, contentType?: string) {
  return wx.post(PATH, { access_token: accessToken }, body, contentType);
}

describe('POST /wxa/business/getuserphonenumber', () => {
  it('turns a phone code into phone_info, countryCode as a string', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.upsertUser({ user: 'alice', purePhoneNumber: '13580006666' });
    const pressed = ok(emu.control.getPhoneNumber(LONE.appid, 'alice'));
    assert.equal(pressed.errMsg, 'getPhoneNumber:ok');
    assert.match(pressed.code, /^[0-9a-f]{64}$/);
    assert.equal(pressed.encryptedData, undefined, 'no legacy data without a session_key');
    const answer = await exchange(wx, await wx.accessToken(LONE), { code: pressed.code });
    assertWxOk(answer);
    assert.deepEqual(answer.body.phone_info, {
      phoneNumber: '13580006666',
      purePhoneNumber: '13580006666',
      countryCode: '86',
      watermark: { timestamp: Math.floor(START / 1000), appid: LONE.appid },
    });
  });

  it('prefixes foreign numbers with their country code in phoneNumber', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.upsertUser({ user: 'hk', purePhoneNumber: '61234567', countryCode: '852' });
    const answer = await exchange(wx, await wx.accessToken(LONE), {
      code: ok(emu.control.getPhoneNumber(LONE.appid, 'hk')).code,
    });
    assert.equal(answer.body.phone_info.phoneNumber, '+85261234567');
    assert.equal(answer.body.phone_info.purePhoneNumber, '61234567');
    assert.equal(answer.body.phone_info.countryCode, '852');
  });

  it('takes a code once and for 5 minutes (40029 after), from its own app only (40013)', async (t) => {
    const { emu, wx, clock } = await harness(t);
    const token = await wx.accessToken(LONE);
    const once = ok(emu.control.getPhoneNumber(LONE.appid, 'alice')).code;
    assertWxOk(await exchange(wx, token, { code: once }));
    assertWxError(await exchange(wx, token, { code: once }), 40029);
    assertWxError(
      await exchange(wx, token, { code: 'e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144' }),
      40029,
    );
    const other = ok(emu.control.getPhoneNumber(APP.appid, 'alice')).code;
    assertWxError(await exchange(wx, token, { code: other }), 40013);
    const late = ok(emu.control.getPhoneNumber(LONE.appid, 'alice')).code;
    clock.advance(5 * MINUTE);
    assertWxError(await exchange(wx, await wx.accessToken(LONE), { code: late }), 40029, clock);
  });

  it('checks the optional openid against the code: 40003 for anyone else', async (t) => {
    const { emu, wx } = await harness(t);
    const token = await wx.accessToken(LONE);
    const code = ok(emu.control.getPhoneNumber(LONE.appid, 'alice')).code;
    const bob = emu.control.identity(LONE.appid, 'bob').openid;
    assertWxError(await exchange(wx, token, { code, openid: bob }), 40003);
    assertWxOk(await exchange(wx, token, { code, openid: emu.control.identity(LONE.appid, 'alice').openid }));
  });

  it('wants POST with a JSON body: 43002, 44002, 47001', async (t) => {
    const { emu, wx } = await harness(t);
    const token = await wx.accessToken(LONE);
    const code = ok(emu.control.getPhoneNumber(LONE.appid, 'alice')).code;
    assertWxError(await wx.get(PATH, { access_token: token, code }), 43002);
    assertWxError(await exchange(wx, token, ''), 44002);
    assertWxError(await exchange(wx, token, `code=${code}`, 'application/x-www-form-urlencoded'), 47001);
    assertWxError(await exchange(wx, token, { openid: 'x' }), 47001);
    assertWxError(await exchange(wx, token, [code]), 47001);
    assertWxError(await wx.post(PATH, {}, { code }), 41001);
    assertWxOk(await exchange(wx, token, { code }));
  });

  it('hands the legacy encryptedData under the live session_key, watermark {appid, timestamp}', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.upsertUser({ user: 'alice', purePhoneNumber: '13580006666' });
    const session = (await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body;
    const pressed = ok(emu.control.getPhoneNumber(LONE.appid, 'alice'));
    const plain = decryptOpenData(session.session_key, pressed.iv!, pressed.encryptedData!, { appid: LONE.appid });
    assert.deepEqual(plain, {
      phoneNumber: '13580006666',
      purePhoneNumber: '13580006666',
      countryCode: '86',
      watermark: { appid: LONE.appid, timestamp: Math.floor(START / 1000) },
    });
  });

  it('answers a refusal as the button does', async (t) => {
    const { emu } = await harness(t);
    assert.deepEqual(emu.control.getPhoneNumber(LONE.appid, 'alice', { deny: true }), {
      errMsg: 'getPhoneNumber:fail user deny',
    });
  });
});
