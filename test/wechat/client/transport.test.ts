import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { WeChatClient, WeChatTransportError } from '../../../src/wechat/index.ts';
import { FakeWeChat, SAMPLE } from '../../helpers/fake-wechat.ts';

const credentials = { appid: SAMPLE.appid, secret: SAMPLE.secret };
const login = { ...credentials, code: SAMPLE.loginCode };
const sessionBody = { session_key: SAMPLE.sessionKey, openid: SAMPLE.openid };

function transportError(kind: WeChatTransportError['kind'], extra: (err: WeChatTransportError) => void = () => {}) {
  return (err: unknown) => {
    assert.ok(err instanceof WeChatTransportError, `expected WeChatTransportError, got ${String(err)}`);
    assert.equal(err.kind, kind);
    extra(err);
    return true;
  };
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('WeChatClient transport', () => {
  let fake: FakeWeChat;
  let client: WeChatClient;

  before(async () => {
    fake = await FakeWeChat.start();
    // Answers must not race a short timeout on a loaded machine: the timeout tests have clients of their own.
    client = new WeChatClient({ baseUrl: fake.url, timeoutMs: 30_000, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
  });
  after(async () => {
    await client.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  for (const contentType of [
    'text/plain',
    'application/json',
    'text/html; charset=utf-8',
    'application/octet-stream',
    null,
  ]) {
    it(`parses the JSON body whatever the Content-Type (${contentType ?? 'none'})`, async () => {
      fake.script('/sns/jscode2session', { contentType, body: sessionBody });
      assert.deepEqual(await client.code2Session(login), { openid: SAMPLE.openid, sessionKey: SAMPLE.sessionKey });
      fake.script('/sns/jscode2session', { contentType, body: { errcode: 40029, errmsg: 'invalid code' } });
      await assert.rejects(client.code2Session(login), { name: 'WeChatApiError', errcode: 40029 });
    });
  }

  it('parses a body that starts with a byte-order mark', async () => {
    fake.script('/sns/jscode2session', { body: `\uFEFF${JSON.stringify(sessionBody)}` });
    assert.equal((await client.code2Session(login)).openid, SAMPLE.openid);
  });

  it('a non-200 status is a transport error carrying the status', async () => {
    fake.script('/sns/jscode2session', { status: 502, contentType: 'text/html', body: '<html>Bad Gateway</html>' });
    await assert.rejects(
      client.code2Session(login),
      transportError('http_status', (err) => {
        assert.equal(err.status, 502);
        assert.equal(err.requestSent, true);
        assert.equal(err.message, `WeChat code2Session for appid ${SAMPLE.appid} failed (http_status): HTTP 502`);
      }),
    );
  });

  for (const [name, body] of [
    ['HTML', '<html><body>error</body></html>'],
    ['truncated JSON', '{"session_key":"tiihtNcz'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['an empty body', ''],
  ] as const) {
    it(`a 200 with ${name} is an invalid_body transport error`, async () => {
      fake.script('/sns/jscode2session', { body });
      await assert.rejects(client.code2Session(login), transportError('invalid_body'));
    });
  }

  it('a non-numeric errcode is an invalid body, a numeric string is an errcode', async () => {
    fake.script('/sns/jscode2session', { body: { errcode: 'oops', errmsg: 'x' } });
    await assert.rejects(client.code2Session(login), transportError('invalid_body'));
    fake.script('/sns/jscode2session', { body: { errcode: '40029', errmsg: 'invalid code' } });
    await assert.rejects(client.code2Session(login), { name: 'WeChatApiError', errcode: 40029 });
  });

  for (const [api, call, path, body, field] of [
    ['code2Session', () => client.code2Session(login), '/sns/jscode2session', { openid: SAMPLE.openid }, 'session_key'],
    ['getAccessToken', () => client.getAccessToken(credentials), '/cgi-bin/token', { access_token: 'x' }, 'expires_in'],
    [
      'getPhoneNumber',
      () => client.getPhoneNumber({ accessToken: 'tok_123456', code: SAMPLE.phoneCode }),
      '/wxa/business/getuserphonenumber',
      { errcode: 0, errmsg: 'ok', phone_info: { phoneNumber: '1', purePhoneNumber: '1', countryCode: '86' } },
      'phone_info.watermark',
    ],
    [
      'msgSecCheck',
      () => client.msgSecCheck({ accessToken: 'tok_123456', openid: SAMPLE.openid, content: 'x', scene: 1 }),
      '/wxa/msg_sec_check',
      { errcode: 0, errmsg: 'ok', result: { suggest: 'maybe', label: 100 }, trace_id: 't' },
      'result.suggest',
    ],
  ] as const) {
    it(`${api}: a success body without "${field}" is an invalid_body error naming the field`, async () => {
      fake.script(path, { body });
      await assert.rejects(
        call(),
        transportError('invalid_body', (err) =>
          assert.match(err.message, new RegExp(`"${field.replace('.', '\\.')}"`)),
        ),
      );
    });
  }

  /** A client that gives up after `timeoutMs`, closed after the test. */
  const impatient = (t: TestContext, timeoutMs: number) => {
    const c = new WeChatClient({ baseUrl: fake.url, timeoutMs, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    t.after(() => c.close());
    return c;
  };

  it('times out when WeChat does not answer (code2Session: one attempt only)', async (t) => {
    // Nothing but the hanging request meets this timeout, so it may be short.
    fake.script('/sns/jscode2session', { hang: true });
    await assert.rejects(
      impatient(t, 300).code2Session(login),
      transportError('timeout', (err) => {
        assert.equal(err.requestSent, true);
        assert.match(err.message, /no complete answer within 300 ms/);
      }),
    );
    assert.equal(fake.received('/sns/jscode2session').length, 1);
  });

  it('times out when WeChat stalls halfway through its answer (the deadline covers the body too)', async () => {
    // Headers and part of the body, then nothing: the connection stays open.
    const sockets: Socket[] = [];
    const stalling = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () =>
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n{"openid":"'),
      );
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    const { port } = stalling.address() as { port: number };
    const stalled = new WeChatClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 300 });
    try {
      await assert.rejects(
        stalled.code2Session(login),
        transportError('timeout', (err) => {
          assert.equal(err.requestSent, true);
          assert.match(err.message, /no complete answer within 300 ms/);
        }),
      );
    } finally {
      await stalled.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => stalling.close(() => resolve()));
    }
  });

  it('times out and retries a repeatable call, then succeeds', async (t) => {
    // The retry must be answered within the timeout: 2 s, so a loaded machine still makes it.
    fake.script('/cgi-bin/token', { hang: true });
    const token = await impatient(t, 2000).getAccessToken(credentials);
    assert.match(token.accessToken, /^70_token/);
    assert.equal(fake.received('/cgi-bin/token').length, 2);
  });

  it('connection refused is a network error that certainly did not reach WeChat', async () => {
    const refused = new WeChatClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, retry: { attempts: 1 } });
    try {
      await assert.rejects(
        refused.code2Session(login),
        transportError('network', (err) => {
          assert.equal(err.code, 'ECONNREFUSED');
          assert.equal(err.requestSent, false);
        }),
      );
    } finally {
      await refused.close();
    }
  });

  it('a connection reset mid-request is a network error that may have reached WeChat', async () => {
    fake.script('/sns/jscode2session', { reset: true });
    await assert.rejects(
      client.code2Session(login),
      transportError('network', (err) => assert.equal(err.requestSent, true)),
    );
    assert.equal(fake.received('/sns/jscode2session').length, 1, 'a login code is never sent twice');
  });

  it('keeps one connection alive across sequential calls', async () => {
    const fresh = await FakeWeChat.start();
    const pooled = new WeChatClient({ baseUrl: fresh.url });
    const calls = [
      () => pooled.code2Session(login),
      () => pooled.getAccessToken(credentials),
      () => pooled.getStableAccessToken(credentials),
      () => pooled.getPhoneNumber({ accessToken: SAMPLE.accessToken, code: SAMPLE.phoneCode }),
      () =>
        pooled.checkSessionKey({
          accessToken: SAMPLE.accessToken,
          openid: SAMPLE.openid,
          sessionKey: SAMPLE.sessionKey,
        }),
      () => pooled.msgSecCheck({ accessToken: SAMPLE.accessToken, openid: SAMPLE.openid, content: 'x', scene: 1 }),
    ];
    try {
      for (const call of [...calls, ...calls]) {
        await call();
        // undici hands a finished connection back to its pool one macrotask after the body ends; a
        // call issued in the same tick opens a second socket. Real callers have I/O in between.
        await setImmediate();
      }
      assert.equal(fresh.requests.length, 12);
      assert.equal(fresh.connections, 1);
    } finally {
      await pooled.close();
      await fresh.close();
    }
  });

  it('back-to-back calls in one tick still reuse connections', async () => {
    const fresh = await FakeWeChat.start();
    const pooled = new WeChatClient({ baseUrl: fresh.url });
    try {
      for (let i = 0; i < 10; i++) await pooled.getAccessToken(credentials);
      assert.ok(fresh.connections <= 2, `10 calls opened ${fresh.connections} connections`);
    } finally {
      await pooled.close();
      await fresh.close();
    }
  });

  it("an answer larger than any of WeChat's is refused, not buffered whole", async () => {
    // A string body is sent as it is: 9 MB of JSON-looking bytes, over MAX_ANSWER_BYTES (8 MB).
    // code2Session, which is never retried: the failure is the call's.
    fake.script('/sns/jscode2session', { body: `{"openid":"${'o'.repeat(9 * 1024 * 1024)}","session_key":"k"}` });
    await assert.rejects(
      client.code2Session(login),
      transportError('network', (err) => {
        assert.equal(err.code, 'UND_ERR_RES_EXCEEDED_MAX_SIZE');
        assert.equal(err.requestSent, true);
      }),
    );
  });

  it("a caller's fetch gets the deadline as a signal, and an abort there is a timeout", async () => {
    const injected = new WeChatClient({
      baseUrl: fake.url,
      timeoutMs: 50,
      retry: { attempts: 1 },
      // Honours the signal as undici's fetch does: rejects with the signal's reason once it fires.
      fetch: (_url, init) =>
        new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason))),
    });
    try {
      await assert.rejects(
        injected.code2Session(login),
        transportError('timeout', (err) => assert.match(err.message, /no complete answer within 50 ms/)),
      );
    } finally {
      await injected.close();
    }
  });

  it('an injected fetch replaces the built-in one', async () => {
    const seen: string[] = [];
    const injected = new WeChatClient({
      baseUrl: fake.url,
      fetch: async (url, init) => {
        seen.push(`${init.method} ${new URL(url).pathname}`);
        return { status: 200, text: async () => JSON.stringify({ access_token: 'injected_token', expires_in: 7200 }) };
      },
    });
    assert.deepEqual(await injected.getAccessToken(credentials), { accessToken: 'injected_token', expiresIn: 7200 });
    assert.deepEqual(seen, ['GET /cgi-bin/token']);
    assert.equal(fake.requests.length, 0);
    await injected.close();
  });
});
