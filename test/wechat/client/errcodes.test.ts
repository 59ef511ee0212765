import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeErrcode, parseRid, WeChatApiError } from '../../../src/wechat/index.ts';

describe('errcode table', () => {
  it('40001 means a wrong secret at the token endpoints and a rejected token elsewhere', () => {
    assert.equal(describeErrcode('getAccessToken', 40001).category, 'credentials_invalid');
    assert.equal(describeErrcode('getStableAccessToken', 40001).category, 'credentials_invalid');
    assert.equal(describeErrcode('getPhoneNumber', 40001).category, 'token_invalid');
    assert.equal(describeErrcode('msgSecCheck', 40001).category, 'token_invalid');
  });

  it('40013 at getPhoneNumber blames the phone code (issued to another mini program), not our appid', () => {
    assert.equal(describeErrcode('getPhoneNumber', 40013).category, 'invalid_code');
    assert.equal(describeErrcode('code2Session', 40013).category, 'credentials_invalid');
  });

  it('unknown codes are category unknown', () => {
    assert.deepEqual(describeErrcode('code2Session', 12345), { category: 'unknown', meaning: 'undocumented errcode' });
  });
});

describe('parseRid', () => {
  const cases: [string, string | undefined][] = [
    ['invalid code, rid: 652d44d0-1d0af18b-5b069232', '652d44d0-1d0af18b-5b069232'],
    ['access_token expired rid: 652d44d0-1d0af18b-5b069232', '652d44d0-1d0af18b-5b069232'],
    ['invalid code, hints: [ req_id: VyLhYa0451hb31 ]', 'VyLhYa0451hb31'],
    [
      'invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r rid: 6530a1b2-4c5d6e7f-01234567',
      '6530a1b2-4c5d6e7f-01234567',
    ],
    ['system error', undefined],
    ['', undefined],
  ];
  for (const [errmsg, rid] of cases) {
    it(`${JSON.stringify(errmsg.slice(0, 50))} → ${rid}`, () => assert.equal(parseRid(errmsg), rid));
  }

  it('an error without appid says so plainly', () => {
    const err = new WeChatApiError({ api: 'msgSecCheck', errcode: 61010, errmsg: 'code is expired' });
    assert.equal(
      err.message,
      'WeChat msgSecCheck failed with errcode 61010 (user has not visited the mini program in the last 2 hours): code is expired',
    );
    assert.equal(err.appid, undefined);
    assert.equal(err.rid, undefined);
    assert.equal(err.name, 'WeChatApiError');
  });
});
