import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sessionSignature } from '../../../src/wechat/crypto/index.ts';
import { type WeChatCallEvent, WeChatClient } from '../../../src/wechat/index.ts';
import { FakeWeChat, SAMPLE } from '../../helpers/fake-wechat.ts';

// Each call's request as WeChat expects it (method, where the parameters go) and its typed result.
describe('WeChatClient calls', () => {
  let fake: FakeWeChat;
  let client: WeChatClient;
  let events: WeChatCallEvent[];

  before(async () => {
    fake = await FakeWeChat.start();
    client = new WeChatClient({ baseUrl: fake.url, onCall: (e) => events.push(e) });
  });
  after(async () => {
    await client.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    events = [];
  });

  it('code2Session: GET with query parameters, camelCase result with unionid', async () => {
    const result = await client.code2Session({ appid: SAMPLE.appid, secret: SAMPLE.secret, code: SAMPLE.loginCode });
    assert.deepEqual(result, { openid: SAMPLE.openid, sessionKey: SAMPLE.sessionKey, unionid: SAMPLE.unionid });
    const [req] = fake.requests;
    assert.equal(req?.method, 'GET');
    assert.equal(req?.path, '/sns/jscode2session');
    assert.deepEqual(Object.fromEntries(req?.query ?? []), {
      appid: SAMPLE.appid,
      secret: SAMPLE.secret,
      js_code: SAMPLE.loginCode,
      grant_type: 'authorization_code',
    });
    assert.deepEqual(events, [
      {
        api: 'code2Session',
        appid: SAMPLE.appid,
        errcode: 0,
        outcome: 'ok',
        durationMs: events[0]?.durationMs,
        attempt: 1,
      },
    ]);
    assert.equal(typeof events[0]?.durationMs, 'number');
  });

  it('code2Session: unionid is absent, not undefined, when WeChat sends none', async () => {
    fake.script('/sns/jscode2session', { body: { session_key: SAMPLE.sessionKey, openid: SAMPLE.openid } });
    const result = await client.code2Session({ appid: SAMPLE.appid, secret: SAMPLE.secret, code: SAMPLE.loginCode });
    assert.deepEqual(result, { openid: SAMPLE.openid, sessionKey: SAMPLE.sessionKey });
    assert.equal('unionid' in result, false);
  });

  it('code2Session: tolerates the older errcode 0 and expires_in fields', async () => {
    fake.script('/sns/jscode2session', {
      body: { errcode: 0, errmsg: 'ok', session_key: SAMPLE.sessionKey, openid: SAMPLE.openid, expires_in: 7200 },
    });
    const result = await client.code2Session({ appid: SAMPLE.appid, secret: SAMPLE.secret, code: SAMPLE.loginCode });
    assert.deepEqual(result, { openid: SAMPLE.openid, sessionKey: SAMPLE.sessionKey });
  });

  it('getAccessToken: GET /cgi-bin/token with client_credential', async () => {
    const result = await client.getAccessToken({ appid: SAMPLE.appid, secret: SAMPLE.secret });
    assert.match(result.accessToken, /^70_token\d+$/);
    assert.equal(result.expiresIn, 7200);
    const [req] = fake.requests;
    assert.equal(req?.method, 'GET');
    assert.deepEqual(Object.fromEntries(req?.query ?? []), {
      grant_type: 'client_credential',
      appid: SAMPLE.appid,
      secret: SAMPLE.secret,
    });
  });

  it('getStableAccessToken: POST with a JSON body only, force_refresh false by default', async () => {
    const result = await client.getStableAccessToken({ appid: SAMPLE.appid, secret: SAMPLE.secret });
    assert.deepEqual(result, { accessToken: `70_stable${fake.stableGeneration}`, expiresIn: 7200 });
    const [req] = fake.requests;
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/cgi-bin/stable_token');
    assert.equal([...(req?.query ?? [])].length, 0, 'no query parameters (WeChat answers 41002 to those)');
    assert.match(String(req?.headers['content-type']), /^application\/json/);
    assert.deepEqual(req?.json, {
      grant_type: 'client_credential',
      appid: SAMPLE.appid,
      secret: SAMPLE.secret,
      force_refresh: false,
    });
  });

  it('getStableAccessToken: forceRefresh sends force_refresh true and gets a new token', async () => {
    const before = await client.getStableAccessToken({ appid: SAMPLE.appid, secret: SAMPLE.secret });
    const forced = await client.getStableAccessToken({
      appid: SAMPLE.appid,
      secret: SAMPLE.secret,
      forceRefresh: true,
    });
    assert.notEqual(forced.accessToken, before.accessToken);
    assert.equal((fake.requests[1]?.json as { force_refresh?: unknown } | undefined)?.force_refresh, true);
  });

  it('getPhoneNumber: token in the query, {code, openid} as JSON, countryCode a string', async () => {
    const result = await client.getPhoneNumber({
      accessToken: SAMPLE.accessToken,
      code: SAMPLE.phoneCode,
      openid: SAMPLE.openid,
      appid: SAMPLE.appid,
    });
    assert.deepEqual(result, {
      phoneNumber: '13580006666',
      purePhoneNumber: '13580006666',
      countryCode: '86',
      watermark: { appid: SAMPLE.appid, timestamp: 1637744274 },
    });
    const [req] = fake.requests;
    assert.equal(req?.method, 'POST');
    assert.equal(req?.query.get('access_token'), SAMPLE.accessToken);
    assert.deepEqual(req?.json, { code: SAMPLE.phoneCode, openid: SAMPLE.openid });
  });

  it('getPhoneNumber: openid is optional and omitted from the body; a numeric countryCode becomes a string', async () => {
    fake.script('/wxa/business/getuserphonenumber', {
      body: {
        errcode: 0,
        errmsg: 'ok',
        phone_info: {
          phoneNumber: '+85261234567',
          purePhoneNumber: '61234567',
          countryCode: 852,
          watermark: { timestamp: 1637744274, appid: SAMPLE.appid },
        },
      },
    });
    const result = await client.getPhoneNumber({ accessToken: SAMPLE.accessToken, code: SAMPLE.phoneCode });
    assert.equal(result.countryCode, '852');
    assert.deepEqual(fake.requests[0]?.json, { code: SAMPLE.phoneCode });
  });

  it('checkSessionKey: GET with the hmac_sha256 signature of "" keyed by the base64 text', async () => {
    const valid = await client.checkSessionKey({
      accessToken: SAMPLE.accessToken,
      openid: SAMPLE.openid,
      sessionKey: 'o0q0otL8aEzpcZL/FT9WsQ==',
    });
    assert.equal(valid, true);
    const [req] = fake.requests;
    assert.equal(req?.method, 'GET');
    assert.equal(req?.path, '/wxa/checksession');
    assert.deepEqual(Object.fromEntries(req?.query ?? []), {
      access_token: SAMPLE.accessToken,
      openid: SAMPLE.openid,
      // The published vector for this session_key (wechat-api.md §5).
      signature: '46e043c5525c2d817c44be603d30837a808a1d930d038f6fdc3e62a201fed128',
      sig_method: 'hmac_sha256',
    });
  });

  it('resetUserSessionKey: signed like checksession, returns the new key', async () => {
    const result = await client.resetUserSessionKey({
      accessToken: SAMPLE.accessToken,
      openid: SAMPLE.openid,
      sessionKey: SAMPLE.sessionKey,
    });
    assert.deepEqual(result, { openid: SAMPLE.openid, sessionKey: SAMPLE.newSessionKey });
    const [req] = fake.requests;
    assert.equal(req?.method, 'GET');
    assert.equal(req?.path, '/wxa/resetusersessionkey');
    assert.equal(req?.query.get('signature'), sessionSignature(SAMPLE.sessionKey, ''));
    assert.equal(req?.query.get('sig_method'), 'hmac_sha256');
  });

  it('msgSecCheck: version 2 body with raw UTF-8, typed verdict', async () => {
    const result = await client.msgSecCheck({
      accessToken: SAMPLE.accessToken,
      openid: SAMPLE.openid,
      content: '你好，世界',
      scene: 1,
      nickname: '小明',
    });
    assert.deepEqual(result, {
      suggest: 'pass',
      label: 100,
      traceId: '63e64edc-16ebb171-098cba3f',
      detail: [
        { strategy: 'content_model', errcode: 0, suggest: 'pass', label: 100, prob: 90 },
        { strategy: 'keyword', errcode: 0 },
      ],
    });
    const [req] = fake.requests;
    assert.equal(req?.method, 'POST');
    assert.equal(req?.query.get('access_token'), SAMPLE.accessToken);
    assert.deepEqual(req?.json, {
      content: '你好，世界',
      version: 2,
      scene: 1,
      openid: SAMPLE.openid,
      nickname: '小明',
    });
    assert.ok(req?.body.includes('你好'), 'CJK is sent as UTF-8, not \\u escapes');
  });

  it('msgSecCheck: a risky verdict with a keyword hit and string labels', async () => {
    fake.script('/wxa/msg_sec_check', {
      body: {
        errcode: 0,
        errmsg: 'ok',
        result: { suggest: 'risky', label: '20001' },
        detail: [{ strategy: 'keyword', errcode: 0, suggest: 'risky', label: 20001, level: 90, keyword: 'xx' }],
        trace_id: '63e64edc-16ebb171-098cba3f',
      },
    });
    const result = await client.msgSecCheck({
      accessToken: SAMPLE.accessToken,
      openid: SAMPLE.openid,
      content: 'bad words',
      scene: 2,
    });
    assert.equal(result.suggest, 'risky');
    assert.equal(result.label, 20001);
    assert.deepEqual(result.detail, [
      { strategy: 'keyword', errcode: 0, suggest: 'risky', label: 20001, keyword: 'xx' },
    ]);
  });

  it('a base URL with a path prefix keeps the prefix', async () => {
    const prefixed = new WeChatClient({ baseUrl: `${fake.url}/prefix/` });
    try {
      await prefixed
        .code2Session({ appid: SAMPLE.appid, secret: SAMPLE.secret, code: SAMPLE.loginCode })
        .catch(() => {});
      assert.equal(fake.requests[0]?.path, '/prefix/sns/jscode2session');
    } finally {
      await prefixed.close();
    }
  });

  it('programmer mistakes are TypeErrors, raised before anything is sent', async () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['empty code', () => client.code2Session({ appid: SAMPLE.appid, secret: SAMPLE.secret, code: '' }), /code/],
      ['missing secret', () => client.getAccessToken({ appid: SAMPLE.appid } as never), /secret/],
      ['missing token', () => client.getPhoneNumber({ code: SAMPLE.phoneCode } as never), /accessToken/],
      [
        'bad scene',
        () => client.msgSecCheck({ accessToken: 'x', openid: SAMPLE.openid, content: 'a', scene: 5 as never }),
        /scene/,
      ],
      ['no input', () => client.checkSessionKey(undefined as never), /input object/],
    ];
    for (const [name, call, message] of cases) {
      await assert.rejects(call(), (err: Error) => err instanceof TypeError && message.test(err.message), name);
    }
    assert.equal(fake.requests.length, 0);
    assert.throws(() => new WeChatClient({ baseUrl: 'not a url' }), TypeError);
    assert.throws(() => new WeChatClient({ baseUrl: 'ftp://example.com' }), TypeError);
    assert.throws(() => new WeChatClient({ timeoutMs: 0 }), TypeError);
  });
});
