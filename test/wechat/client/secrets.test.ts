import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { sessionSignature } from '../../../src/wechat/crypto/index.ts';
import { AccessTokenManager, MemoryAccessTokenStore, WeChatClient } from '../../../src/wechat/index.ts';
import { FakeWeChat, RID, SAMPLE, wechatError } from '../../helpers/fake-wechat.ts';

const credentials = { appid: SAMPLE.appid, secret: SAMPLE.secret };

/** Everything that must never reach an error or a log line. */
const SENSITIVE = {
  secret: SAMPLE.secret,
  loginCode: SAMPLE.loginCode,
  phoneCode: SAMPLE.phoneCode,
  sessionKey: SAMPLE.sessionKey,
  newSessionKey: SAMPLE.newSessionKey,
  signature: sessionSignature(SAMPLE.sessionKey, ''),
  accessToken: SAMPLE.accessToken,
  stableToken1: '70_stable1',
  stableToken2: '70_stable2',
  token1: '70_token1',
};

/** A hostile (or merely chatty) upstream that echoes the request back in its errmsg. */
function echoing(errcode: number, ...values: string[]) {
  return wechatError(errcode, `bad request ${values.join(' ')}`);
}

function everythingAbout(err: unknown): string {
  const e = err as Error;
  return [e.message, e.stack, inspect(err, { depth: null, showHidden: true }), JSON.stringify(err)].join('\n');
}

describe('secrets never reach errors or logs', () => {
  let fake: FakeWeChat;
  let client: WeChatClient;
  let manager: AccessTokenManager;
  const lines: string[] = [];
  const errors: unknown[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });

  async function failure(promise: Promise<unknown>): Promise<void> {
    await assert.rejects(promise, (err: unknown) => {
      errors.push(err);
      return true;
    });
  }

  before(async () => {
    fake = await FakeWeChat.start();
    client = new WeChatClient({
      baseUrl: fake.url,
      timeoutMs: 200,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      logger,
    });
    manager = new AccessTokenManager({
      client,
      secrets: { [SAMPLE.appid]: SAMPLE.secret },
      store: new MemoryAccessTokenStore(),
      logger,
    });
  });
  after(async () => {
    await client.close();
    await fake.close();
  });

  it('through every call, success and failure', async () => {
    // code2Session: success, an errmsg echoing secret and code, a success body missing a field.
    await client.code2Session({ ...credentials, code: SAMPLE.loginCode });
    fake.script('/sns/jscode2session', echoing(40029, SAMPLE.secret, SAMPLE.loginCode));
    await failure(client.code2Session({ ...credentials, code: SAMPLE.loginCode }));
    fake.script('/sns/jscode2session', { body: { session_key: SAMPLE.sessionKey } });
    await failure(client.code2Session({ ...credentials, code: SAMPLE.loginCode }));

    // Token endpoints: busy then success (retry logged), a 502 echoing the secret, a wrong secret.
    fake.script('/cgi-bin/token', wechatError(-1, 'system error'));
    await client.getAccessToken(credentials);
    fake.script('/cgi-bin/token', ...Array(3).fill({ status: 502, body: `proxy saw secret=${SAMPLE.secret}` }));
    await failure(client.getAccessToken(credentials));
    fake.script('/cgi-bin/stable_token', echoing(40125, SAMPLE.secret));
    await failure(client.getStableAccessToken(credentials));

    // Manager: cold fetch, then WeChat rejects the token (forced refresh), then the phone number.
    fake.handle('/wxa/business/getuserphonenumber', (req) =>
      req.query.get('access_token') === '70_stable2'
        ? {
            body: {
              errcode: 0,
              errmsg: 'ok',
              phone_info: {
                phoneNumber: '13580006666',
                purePhoneNumber: '13580006666',
                countryCode: '86',
                watermark: { timestamp: 1637744274, appid: SAMPLE.appid },
              },
            },
          }
        : echoing(40001, req.query.get('access_token') ?? '', SAMPLE.phoneCode),
    );
    await manager.withAccessToken(SAMPLE.appid, (accessToken) =>
      client.getPhoneNumber({ accessToken, code: SAMPLE.phoneCode, appid: SAMPLE.appid }),
    );
    fake.script('/wxa/business/getuserphonenumber', echoing(40029, SAMPLE.phoneCode, '70_stable2'));
    await failure(
      manager.withAccessToken(SAMPLE.appid, (accessToken) =>
        client.getPhoneNumber({ accessToken, code: SAMPLE.phoneCode, appid: SAMPLE.appid }),
      ),
    );

    // Session-key calls: the signature and key echoed back; reset's new key only in the result.
    const sessionInput = { accessToken: SAMPLE.accessToken, openid: SAMPLE.openid, sessionKey: SAMPLE.sessionKey };
    fake.script('/wxa/checksession', echoing(87009, SENSITIVE.signature, SAMPLE.sessionKey, SAMPLE.accessToken));
    assert.equal(await client.checkSessionKey(sessionInput), false);
    fake.script('/wxa/checksession', echoing(40001, SENSITIVE.signature, SAMPLE.accessToken));
    await failure(client.checkSessionKey(sessionInput));
    assert.equal((await client.resetUserSessionKey(sessionInput)).sessionKey, SAMPLE.newSessionKey);
    fake.script('/wxa/resetusersessionkey', echoing(87007, SENSITIVE.signature, SAMPLE.sessionKey));
    await failure(client.resetUserSessionKey(sessionInput));
    fake.script('/wxa/resetusersessionkey', { body: { errcode: 0, errmsg: 'ok', session_key: SAMPLE.newSessionKey } });
    await failure(client.resetUserSessionKey(sessionInput));

    // msgSecCheck echoing the token.
    fake.script('/wxa/msg_sec_check', echoing(61010, SAMPLE.accessToken));
    await failure(
      client.msgSecCheck({ accessToken: SAMPLE.accessToken, openid: SAMPLE.openid, content: 'hi', scene: 1 }),
    );

    // Transport failures: timeout, reset, connection refused.
    fake.script('/sns/jscode2session', { hang: true });
    await failure(client.code2Session({ ...credentials, code: SAMPLE.loginCode }));
    fake.script('/wxa/business/getuserphonenumber', { reset: true });
    await failure(client.getPhoneNumber({ accessToken: SAMPLE.accessToken, code: SAMPLE.phoneCode }));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const refused = new WeChatClient({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 1 }, logger });
    await failure(refused.code2Session({ ...credentials, code: SAMPLE.loginCode }));
    await refused.close();

    // Programmer mistakes.
    await failure(client.code2Session({ appid: SAMPLE.appid, secret: SAMPLE.secret, code: 42 as never }));
    await failure(manager.getAccessToken('wx0000000000000000'));

    assert.equal(errors.length, 14);
    const text = [...lines, ...errors.map(everythingAbout)].join('\n');
    for (const [name, value] of Object.entries(SENSITIVE)) {
      assert.ok(!text.includes(value), `${name} leaked:\n${text.split('\n').find((l) => l.includes(value))}`);
    }

    // The errors and logs still say what happened.
    assert.ok(errors.some((e) => (e as Error).message.includes(`bad request [redacted] [redacted], rid: ${RID}`)));
    for (const message of [
      'WeChat call',
      'retrying WeChat call',
      'fetched a WeChat access token',
      'WeChat rejected the access token',
    ]) {
      assert.ok(
        lines.some((l) => JSON.parse(l).msg === message),
        `no log line "${message}"`,
      );
    }
    const call = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'WeChat call' && l.errcode === 40029);
    assert.equal(call.api, 'code2Session');
    assert.equal(call.appid, SAMPLE.appid);
    assert.equal(call.rid, RID);
  });
});
