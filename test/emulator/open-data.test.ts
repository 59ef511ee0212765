import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import { ANONYMOUS_NICKNAME, GRAY_AVATAR, type UserInfoResult, type WxFail } from '../../src/emulator/index.ts';
import { userInfoPayload } from '../../src/emulator/phone/open-data.ts';
import {
  decryptOpenData,
  encryptOpenData,
  OpenDataError,
  verifyRawDataSignature,
} from '../../src/wechat/crypto/index.ts';
import { vectors } from '../helpers/vectors.ts';
import { APP, harness, LONE, START } from './helpers.ts';

function ok(result: UserInfoResult | WxFail): UserInfoResult {
  assert.ok('userInfo' in result, result.errMsg);
  return result;
}

/**
 * The official WXBizDataCrypt demo's algorithm, written out independently of src/wechat/crypto:
 * AES-128-CBC with the decoded key and iv, PKCS#7 removed by hand, then JSON.
 */
function officialDecrypt(sessionKey: string, iv: string, encryptedData: string): { text: string; pad: number } {
  const decipher = createDecipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), Buffer.from(iv, 'base64'));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(encryptedData, 'base64')), decipher.final()]);
  const pad = plain.at(-1) ?? 0;
  assert.ok(pad >= 1 && pad <= 16, `bad PKCS#7 pad ${pad}`);
  assert.ok(
    plain.subarray(plain.length - pad).every((b) => b === pad),
    'PKCS#7 bytes differ',
  );
  return { text: plain.subarray(0, plain.length - pad).toString('utf8'), pad };
}

describe('getUserInfo / getUserProfile open data', () => {
  it('builds the official vector byte for byte from its fields', () => {
    const v = vectors.decrypt;
    const plain = JSON.parse(v.plaintext) as Record<string, unknown> & {
      watermark: { timestamp: number; appid: string };
    };
    const fields = {
      nickName: plain.nickName as string,
      gender: plain.gender as number,
      language: plain.language as string,
      city: plain.city as string,
      province: plain.province as string,
      country: plain.country as string,
      avatarUrl: plain.avatarUrl as string,
    };
    const payload = userInfoPayload(fields, { openId: plain.openId as string, unionId: plain.unionId as string });
    const sealed = encryptOpenData(v.sessionKey, payload, {
      iv: Buffer.from(v.iv, 'base64'),
      watermark: plain.watermark,
    });
    assert.equal(sealed.encryptedData, v.encryptedData);
    assert.equal(officialDecrypt(v.sessionKey, v.iv, v.encryptedData).text, v.plaintext);
  });

  it('produces data the official algorithm decrypts like the vector: compact JSON, vector key order, PKCS#7', async (t) => {
    const { emu, wx } = await harness(t);
    const { code } = emu.control.login(APP.appid, 'alice');
    const session = (await wx.code2session(APP, code)).body;
    const data = ok(emu.control.getUserInfo(APP.appid, 'alice', { anonymous: false }));
    const { text } = officialDecrypt(session.session_key, data.iv!, data.encryptedData!);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.equal(text, JSON.stringify(parsed), 'serialized compactly');
    const vectorKeys = Object.keys(JSON.parse(vectors.decrypt.plaintext) as object);
    assert.deepEqual(Object.keys(parsed), vectorKeys);
    assert.deepEqual(Object.keys(parsed.watermark as object), ['timestamp', 'appid']);
    assert.deepEqual(parsed.watermark, { timestamp: Math.floor(START / 1000), appid: APP.appid });
    assert.equal(parsed.openId, session.openid);
    assert.equal(parsed.unionId, session.unionid);
  });

  it('gives today anonymous data: 微信用户, the gray avatar, no gender or place, is_demote outside rawData', async (t) => {
    const { emu, wx } = await harness(t);
    const session = (await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body;
    const data = ok(emu.control.getUserInfo(LONE.appid, 'alice'));
    assert.equal(data.errMsg, 'getUserInfo:ok');
    const anonymous = {
      nickName: ANONYMOUS_NICKNAME,
      gender: 0,
      language: '',
      city: '',
      province: '',
      country: '',
      avatarUrl: GRAY_AVATAR,
    };
    assert.deepEqual(data.userInfo, { ...anonymous, is_demote: true });
    assert.equal(data.rawData, JSON.stringify(anonymous));
    assert.ok(verifyRawDataSignature(data.rawData, data.signature!, session.session_key));
    const plain = decryptOpenData(session.session_key, data.iv!, data.encryptedData!, { appid: LONE.appid });
    assert.deepEqual(plain, { openId: session.openid, ...anonymous, watermark: plain.watermark });
  });

  it('gives legacy data with the real profile, places in the requested language', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.upsertUser({
      user: 'band',
      nickName: 'Band',
      gender: 1,
      avatarUrl: 'http://wx.qlogo.cn/mmopen/vi_32/x/0',
    });
    const session = (await wx.code2session(APP, emu.control.login(APP.appid, 'band').code)).body;
    const en = ok(emu.control.getUserInfo(APP.appid, 'band', { anonymous: false }));
    const zh = ok(emu.control.getUserInfo(APP.appid, 'band', { anonymous: false, lang: 'zh_CN' }));
    assert.equal(en.userInfo.nickName, 'Band');
    assert.equal(en.userInfo.gender, 1);
    assert.equal(en.userInfo.country, 'China');
    assert.equal(zh.userInfo.country, '中国');
    assert.equal('is_demote' in en.userInfo, false);
    assert.equal(en.rawData, JSON.stringify(en.userInfo));
    assert.ok(verifyRawDataSignature(zh.rawData, zh.signature!, session.session_key));
    const plain = decryptOpenData(session.session_key, zh.iv!, zh.encryptedData!, { appid: APP.appid });
    assert.equal(plain.nickName, 'Band');
    assert.equal(plain.city, zh.userInfo.city);
    assert.equal(plain.unionId, session.unionid);
  });

  it('omits signature, encryptedData and iv without credentials, and needs a login with them', async (t) => {
    const { emu } = await harness(t);
    const bare = ok(emu.control.getUserInfo(LONE.appid, 'alice', { withCredentials: false }));
    assert.deepEqual(Object.keys(bare), ['userInfo', 'rawData', 'errMsg']);
    assert.deepEqual(emu.control.getUserInfo(LONE.appid, 'alice'), { errMsg: 'getUserInfo:fail need wx.login first' });
  });

  it('getUserProfile carries neither openId nor unionId, and wants a desc of 1-30 characters', async (t) => {
    const { emu, wx } = await harness(t);
    const session = (await wx.code2session(APP, emu.control.login(APP.appid, 'alice').code)).body;
    const profile = ok(emu.control.getUserProfile(APP.appid, 'alice', { desc: '用于完善会员资料', anonymous: false }));
    assert.equal(profile.errMsg, 'getUserProfile:ok');
    const plain = decryptOpenData(session.session_key, profile.iv!, profile.encryptedData!, { appid: APP.appid });
    assert.deepEqual(Object.keys(plain), [...Object.keys(profile.userInfo), 'watermark']);
    assert.ok(verifyRawDataSignature(profile.rawData, profile.signature!, session.session_key));
    const fail = { errMsg: 'getUserProfile:fail desc length does not meet the requirements' };
    assert.deepEqual(emu.control.getUserProfile(APP.appid, 'alice', { desc: '' }), fail);
    assert.deepEqual(emu.control.getUserProfile(APP.appid, 'alice', { desc: '长'.repeat(31) }), fail);
    assert.equal(
      ok(emu.control.getUserProfile(APP.appid, 'alice', { desc: '长'.repeat(30) })).userInfo.nickName,
      ANONYMOUS_NICKNAME,
    );
  });

  it('pins the production race: data, then wx.login again, then the new session_key cannot decrypt it', async (t) => {
    const { emu, wx } = await harness(t, { sessionKeyRotation: 'always' });
    await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code);
    const data = ok(emu.control.getUserInfo(LONE.appid, 'alice'));
    // The button callback calls wx.login and the backend exchanges that new code.
    const late = (await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body;
    assert.throws(
      () => decryptOpenData(late.session_key, data.iv!, data.encryptedData!, { appid: LONE.appid }),
      (err: unknown) => err instanceof OpenDataError && err.code === 'DECRYPT_FAILED',
    );
    assert.equal(verifyRawDataSignature(data.rawData, data.signature!, late.session_key), false);
  });

  it('keeps the key across logins with rotation "never", so the same sequence decrypts', async (t) => {
    const { emu, wx } = await harness(t, { sessionKeyRotation: 'never' });
    const first = (await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body;
    const data = ok(emu.control.getUserInfo(LONE.appid, 'alice'));
    const late = (await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body;
    assert.equal(late.session_key, first.session_key);
    assert.ok(decryptOpenData(late.session_key, data.iv!, data.encryptedData!, { appid: LONE.appid }).openId);
    // A single login can still force the rotation.
    emu.control.login(LONE.appid, 'alice', { rotate: true });
    assert.equal(emu.control.checkSession(LONE.appid, 'alice').errMsg, 'checkSession:ok');
    const rotated = (await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body;
    assert.notEqual(rotated.session_key, first.session_key);
  });

  it('rotates "sometimes": both outcomes happen, and the same seed replays the same sequence', async (t) => {
    const sequence = async () => {
      const { emu, wx } = await harness(t, { sessionKeyRotation: 'sometimes' });
      const keys: string[] = [];
      for (let i = 0; i < 24; i++)
        keys.push((await wx.code2session(LONE, emu.control.login(LONE.appid, 'alice').code)).body.session_key);
      return keys.slice(1).map((key, i) => key !== keys[i]);
    };
    const rotated = await sequence();
    assert.ok(rotated.includes(true) && rotated.includes(false), JSON.stringify(rotated));
    assert.deepEqual(await sequence(), rotated);
  });
});
