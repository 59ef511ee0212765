import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type WeChatCallEvent, WeChatClient } from '../../../src/wechat/index.ts';
import { FakeWeChat, SAMPLE, wechatError } from '../../helpers/fake-wechat.ts';

const credentials = { appid: SAMPLE.appid, secret: SAMPLE.secret };
const busy = () => wechatError(-1, 'system error');
const pick = (events: WeChatCallEvent[]) =>
  events.map(({ api, errcode, outcome, attempt }) => ({ api, errcode, outcome, attempt }));

describe('WeChatClient retries', () => {
  let fake: FakeWeChat;
  let client: WeChatClient;
  let events: WeChatCallEvent[];

  before(async () => {
    fake = await FakeWeChat.start();
    client = new WeChatClient({
      baseUrl: fake.url,
      // Answers must not race a short timeout on a loaded machine; the one timeout test has its own client.
      timeoutMs: 30_000,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      onCall: (e) => events.push(e),
    });
  });
  after(async () => {
    await client.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    events = [];
  });

  it('-1 (system busy) is retried for the token endpoint, with backoff, until it succeeds', async () => {
    fake.script('/cgi-bin/token', busy(), busy());
    const token = await client.getAccessToken(credentials);
    assert.match(token.accessToken, /^70_token/);
    assert.equal(fake.received('/cgi-bin/token').length, 3);
    assert.deepEqual(pick(events), [
      { api: 'getAccessToken', errcode: -1, outcome: 'wechat_error', attempt: 1 },
      { api: 'getAccessToken', errcode: -1, outcome: 'wechat_error', attempt: 2 },
      { api: 'getAccessToken', errcode: 0, outcome: 'ok', attempt: 3 },
    ]);
  });

  it('-1 is retried for the stable token too, and gives up after the configured attempts', async () => {
    fake.script('/cgi-bin/stable_token', busy(), busy(), busy(), busy());
    await assert.rejects(client.getStableAccessToken(credentials), { name: 'WeChatApiError', errcode: -1 });
    assert.equal(fake.received('/cgi-bin/stable_token').length, 3);
  });

  it('-1 is NOT retried for code2Session: the login code may already be spent', async () => {
    fake.script('/sns/jscode2session', busy());
    await assert.rejects(client.code2Session({ ...credentials, code: SAMPLE.loginCode }), {
      name: 'WeChatApiError',
      errcode: -1,
      isBusy: true,
    });
    assert.equal(fake.received('/sns/jscode2session').length, 1);
    assert.deepEqual(pick(events), [{ api: 'code2Session', errcode: -1, outcome: 'wechat_error', attempt: 1 }]);
  });

  it('-1 is NOT retried for getPhoneNumber: the phone code is single use', async () => {
    fake.script('/wxa/business/getuserphonenumber', busy());
    await assert.rejects(client.getPhoneNumber({ accessToken: SAMPLE.accessToken, code: SAMPLE.phoneCode }), {
      errcode: -1,
    });
    assert.equal(fake.received('/wxa/business/getuserphonenumber').length, 1);
  });

  it('transport failures are NOT retried for code2Session and getPhoneNumber', async () => {
    fake.script('/sns/jscode2session', { status: 503, body: 'unavailable' });
    await assert.rejects(client.code2Session({ ...credentials, code: SAMPLE.loginCode }), { kind: 'http_status' });
    fake.script('/wxa/business/getuserphonenumber', { reset: true });
    await assert.rejects(client.getPhoneNumber({ accessToken: SAMPLE.accessToken, code: SAMPLE.phoneCode }), {
      kind: 'network',
    });
    assert.equal(fake.requests.length, 2);
  });

  it('a 5xx and a reset are retried for repeatable calls', async () => {
    fake.script('/wxa/msg_sec_check', { status: 502, body: 'bad gateway' }, { reset: true });
    const verdict = await client.msgSecCheck({
      accessToken: SAMPLE.accessToken,
      openid: SAMPLE.openid,
      content: 'hi',
      scene: 2,
    });
    assert.equal(verdict.suggest, 'pass');
    assert.deepEqual(
      events.map((e) => [e.outcome, e.errcode, e.attempt]),
      [
        ['transport_error', null, 1],
        ['transport_error', null, 2],
        ['ok', 0, 3],
      ],
    );
  });

  it('a non-busy errcode is never retried', async () => {
    fake.script('/cgi-bin/token', wechatError(45009, 'reach max api daily quota limit'));
    await assert.rejects(client.getAccessToken(credentials), { errcode: 45009 });
    assert.equal(fake.received('/cgi-bin/token').length, 1);
  });

  it('an invalid body is not retried', async () => {
    fake.script('/cgi-bin/token', { body: '<html>' });
    await assert.rejects(client.getAccessToken(credentials), { kind: 'invalid_body' });
    assert.equal(fake.received('/cgi-bin/token').length, 1);
  });

  it('resetUserSessionKey retries -1 but not a request that may have been processed', async (t) => {
    const input = { accessToken: SAMPLE.accessToken, openid: SAMPLE.openid, sessionKey: SAMPLE.sessionKey };
    fake.script('/wxa/resetusersessionkey', busy());
    assert.equal((await client.resetUserSessionKey(input)).sessionKey, SAMPLE.newSessionKey);
    assert.equal(fake.received('/wxa/resetusersessionkey').length, 2);

    fake.reset();
    // A reset whose answer was lost may have happened: a second one, signed with the dead key, would fail.
    fake.script('/wxa/resetusersessionkey', { hang: true });
    const impatient = new WeChatClient({ baseUrl: fake.url, timeoutMs: 300, retry: { attempts: 3, baseDelayMs: 1 } });
    t.after(() => impatient.close());
    await assert.rejects(impatient.resetUserSessionKey(input), { kind: 'timeout' });
    assert.equal(fake.received('/wxa/resetusersessionkey').length, 1);
  });

  it('a forced stable-token refresh is not repeated after a lost answer', async () => {
    fake.script('/cgi-bin/stable_token', { reset: true });
    await assert.rejects(client.getStableAccessToken({ ...credentials, forceRefresh: true }), { kind: 'network' });
    assert.equal(fake.received('/cgi-bin/stable_token').length, 1);
  });

  it('an onCall hook that throws does not break the call', async () => {
    const throwing = new WeChatClient({
      baseUrl: fake.url,
      onCall: () => {
        throw new Error('metrics down');
      },
    });
    try {
      assert.match((await throwing.getAccessToken(credentials)).accessToken, /^70_token/);
    } finally {
      await throwing.close();
    }
  });
});
