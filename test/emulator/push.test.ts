import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { parsePushSpec } from '../../src/emulator/index.ts';
import { serializePush } from '../../src/emulator/push/push-wire.ts';
import { decryptPushMessage, pushSignature, verifyPushSignature } from '../../src/wechat/push/message-crypto.ts';
import { pushVectors } from '../helpers/vectors.ts';
import { APP, assertWxError, control, harness, LONE, SISTER } from './helpers.ts';

const TOKEN = 'emulatorPush01';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

const vectors = pushVectors;

interface Received {
  method: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: string;
}

/**
 * A push URL that records what arrives and answers what the test scripts: the next answers in
 * order, then `success`. 'hang' leaves the request unanswered; GET answers the URL check.
 */
async function receiver(t: TestContext, answers: ('success' | 'fail' | 'hang' | '')[] = [], token = TOKEN) {
  const received: Received[] = [];
  const waiting: (() => void)[] = [];
  const hung: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/image.png') {
        res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('89504e470d0a1a0a', 'hex'));
        return;
      }
      if (url.pathname !== '/wechat/push') {
        res.writeHead(404).end('not found');
        return;
      }
      const q = url.searchParams;
      if (req.method === 'GET') {
        const ok = verifyPushSignature(q.get('signature') ?? '', [
          token,
          q.get('timestamp') ?? '',
          q.get('nonce') ?? '',
        ]);
        res.end(ok ? (q.get('echostr') ?? '') : 'bad signature');
        return;
      }
      received.push({
        method: req.method ?? '',
        query: q,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString(),
      });
      for (const w of waiting.splice(0)) w();
      const answer = answers.shift() ?? 'success';
      if (answer === 'hang') hung.push(res);
      else res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/wechat/push`,
    image: `${base}/image.png`,
    missing: `${base}/missing.png`,
    received,
    /** Resolves once `n` pushes have arrived. */
    async until(n: number) {
      while (received.length < n) await new Promise<void>((resolve) => waiting.push(resolve));
      return received;
    },
  };
}

/** Opens a received push as a backend in safe or compatible mode would. */
function open(r: Received, appid = APP.appid): string {
  const q = r.query;
  const encrypt = r.body.startsWith('{')
    ? (JSON.parse(r.body).Encrypt as string)
    : (/<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(r.body)?.[1] ?? '');
  assert.ok(
    verifyPushSignature(q.get('msg_signature') ?? '', [TOKEN, q.get('timestamp') ?? '', q.get('nonce') ?? '', encrypt]),
    'msg_signature signs the Encrypt field',
  );
  return decryptPushMessage(encrypt, { encodingAesKey: AES_KEY, appid });
}

describe('emulator message push', () => {
  it('writes messages byte for byte as the published JSON and XML vectors', () => {
    for (const v of vectors.derived.slice(0, 2)) {
      const format = v.plaintext.startsWith('<') ? 'xml' : 'json';
      const message =
        format === 'json'
          ? JSON.parse(v.plaintext)
          : {
              ToUserName: 'gh_97417a04a28d',
              FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
              CreateTime: 1714112445,
              MsgType: 'event',
              Event: 'wxa_media_check',
              appid: 'wxba5fad812f8e6fb9',
              trace_id: '662b4790-2c1e4f7a-5d3c2b1a',
              version: 2,
              detail: [{ strategy: 'content_model', errcode: 0, suggest: 'risky', label: 20002, prob: 90 }],
              errcode: 0,
              errmsg: 'ok',
              result: { suggest: 'risky', label: 20002 },
            };
      assert.equal(serializePush(message, format), v.plaintext, v.name);
    }
  });

  it('checks the URL with a signed GET before saving, as mp.weixin.qq.com does', async (t) => {
    const { emu } = await harness(t);
    const good = await receiver(t);
    const wrongToken = await receiver(t, [], 'anotherToken1');
    const saved = await control(emu.url, 'PUT', `/apps/${APP.appid}/push`, {
      url: good.url,
      token: TOKEN,
      encodingAESKey: AES_KEY,
    });
    assert.equal(saved.status, 200);
    assert.deepEqual(
      { mode: (saved.body as Record<string, unknown>).mode, format: (saved.body as Record<string, unknown>).format },
      { mode: 'safe', format: 'json' },
    );
    assert.equal(JSON.stringify(saved.body).includes(TOKEN), false, 'the token is never shown');
    const refused = await control(emu.url, 'PUT', `/apps/${SISTER.appid}/push`, { url: wrongToken.url, token: TOKEN });
    assert.equal(refused.status, 422);
    assert.equal((refused.body as { error: string }).error, 'PUSH_URL_CHECK_FAILED');
    const bad = await control(emu.url, 'PUT', `/apps/${SISTER.appid}/push`, {
      url: good.url,
      token: TOKEN,
      mode: 'safe',
    });
    assert.equal(bad.status, 400, 'safe mode without a key is a mistake');
    const noPush = await control(emu.url, 'POST', '/user-actions', { appid: LONE.appid, user: 'zoe', action: 'phone' });
    emu.control.login(LONE.appid, 'zoe');
    const noPush2 = await control(emu.url, 'POST', '/user-actions', {
      appid: LONE.appid,
      user: 'zoe',
      action: 'phone',
    });
    assert.equal(noPush.status, 404, 'an unknown user');
    assert.equal(noPush2.status, 409, 'an app without a push URL');
  });

  it('revoking the phone pushes user_authorization_revoke 8, sealed in safe mode, and spends old phone codes', async (t) => {
    const { emu, wx } = await harness(t);
    const r = await receiver(t);
    await emu.control.push.configure(APP.appid, { url: r.url, token: TOKEN, encodingAESKey: AES_KEY, mode: 'safe' });
    emu.control.login(APP.appid, 'amy');
    const button = emu.control.getPhoneNumber(APP.appid, 'amy');
    assert.ok('code' in button);
    const [delivery] = emu.control.push.userAction({ appid: APP.appid, user: 'amy', action: 'phone' });
    assert.ok(delivery);
    const done = await emu.control.push.settled(delivery.id);
    assert.equal(done.status, 'delivered');
    assert.equal(done.attempts.length, 1);
    const [push] = r.received;
    assert.ok(push);
    assert.equal(push.contentType, 'application/json');
    assert.deepEqual(Object.keys(JSON.parse(push.body)), ['ToUserName', 'Encrypt'], 'safe mode carries only Encrypt');
    assert.equal(push.query.get('encrypt_type'), 'aes');
    const { openid } = emu.control.identity(APP.appid, 'amy');
    assert.equal(push.query.get('openid'), openid);
    assert.equal(
      push.query.get('signature'),
      pushSignature([TOKEN, push.query.get('timestamp') ?? '', push.query.get('nonce') ?? '']),
    );
    const message = JSON.parse(open(push));
    assert.deepEqual(
      {
        Event: message.Event,
        OpenID: message.OpenID,
        AppID: message.AppID,
        RevokeInfo: message.RevokeInfo,
        MsgType: message.MsgType,
      },
      { Event: 'user_authorization_revoke', OpenID: openid, AppID: APP.appid, RevokeInfo: '8', MsgType: 'event' },
    );
    assert.match(message.ToUserName, /^gh_[0-9a-f]{12}$/);
    assert.notEqual(message.FromUserName, openid, 'FromUserName is the platform, not the user');
    assert.deepEqual(emu.control.user('amy').identities.find((i) => i.appid === APP.appid)?.revoked, ['8']);
    // The phone code handed out before the revocation no longer redeems.
    const token = await wx.accessToken(APP);
    const redeemed = await wx.post('/wxa/business/getuserphonenumber', { access_token: token }, { code: button.code });
    assertWxError(redeemed, 40029);
    // Allowing the button again grants the number anew.
    emu.control.getPhoneNumber(APP.appid, 'amy');
    assert.equal(emu.control.user('amy').identities.find((i) => i.appid === APP.appid)?.revoked, undefined);
  });

  it('compatible mode in XML carries the plaintext fields beside Encrypt', async (t) => {
    const { emu } = await harness(t);
    const r = await receiver(t);
    await emu.control.push.configure(APP.appid, {
      url: r.url,
      token: TOKEN,
      encodingAESKey: AES_KEY,
      mode: 'compatible',
      format: 'xml',
    });
    emu.control.login(APP.appid, 'bob');
    const [delivery] = emu.control.push.userAction({ appid: APP.appid, user: 'bob', action: 'profile' });
    await emu.control.push.settled(delivery?.id ?? 0);
    const [push] = r.received;
    assert.ok(push);
    assert.equal(push.contentType, 'text/xml');
    assert.match(
      push.body,
      /^<xml><ToUserName><!\[CDATA\[gh_[0-9a-f]{12}\]\]><\/ToUserName>.*<RevokeInfo><!\[CDATA\[6\]\]><\/RevokeInfo><Encrypt>/,
    );
    assert.match(
      open(push),
      /<Event><!\[CDATA\[user_authorization_revoke\]\]><\/Event>.*<RevokeInfo><!\[CDATA\[6\]\]><\/RevokeInfo><\/xml>$/,
    );
  });

  it('plaintext mode is signed by signature only', async (t) => {
    const { emu } = await harness(t);
    const r = await receiver(t);
    await emu.control.push.configure(APP.appid, { url: r.url, token: TOKEN }, { verify: false });
    emu.control.login(APP.appid, 'cy');
    const [delivery] = emu.control.push.userAction({ appid: APP.appid, user: 'cy', action: 'cleaned' });
    await emu.control.push.settled(delivery?.id ?? 0);
    const [push] = r.received;
    assert.ok(push);
    assert.equal(push.query.get('msg_signature'), null);
    assert.equal(JSON.parse(push.body).Event, 'user_info_modified');
  });

  it('re-sends the same request until answered success, at most 3 more times', async (t) => {
    const { emu } = await harness(t);
    const r = await receiver(t, ['fail', 'hang', '']);
    // 3 s: long enough for a loaded machine to answer the quick attempts, and the only wait is the hang's.
    await emu.control.push.configure(
      APP.appid,
      { url: r.url, token: TOKEN, encodingAESKey: AES_KEY, timeoutMs: 3000, retryDelayMs: 0 },
      { verify: false },
    );
    emu.control.login(APP.appid, 'dan');
    const [delivery] = emu.control.push.userAction({ appid: APP.appid, user: 'dan', action: 'phone' });
    const done = await emu.control.push.settled(delivery?.id ?? 0);
    assert.deepEqual(
      done.attempts.map((a) => a.outcome),
      ['rejected', 'timeout', 'success'],
      'an empty body acknowledges too',
    );
    assert.equal(done.attempts[0]?.answer, 'fail');
    assert.equal(done.status, 'delivered');
    assert.equal(r.received.length, 3);
    assert.equal(new Set(r.received.map((x) => `${x.query}\n${x.body}`)).size, 1, 'every retry is the same request');

    const failing = await receiver(t, ['fail', 'fail', 'fail', 'fail', 'fail']);
    await emu.control.push.configure(
      SISTER.appid,
      { url: failing.url, token: TOKEN, retries: 1, retryDelayMs: 0 },
      { verify: false },
    );
    emu.control.login(SISTER.appid, 'dan');
    const [bounded] = emu.control.push.userAction({ appid: SISTER.appid, user: 'dan', action: 'phone' });
    const over = await emu.control.push.settled(bounded?.id ?? 0);
    assert.equal(over.status, 'failed');
    assert.equal(over.attempts.length, 2);
    const listed = await control(emu.url, 'GET', `/pushes?appid=${SISTER.appid}`);
    assert.equal((listed.body as { status: string }[])[0]?.status, 'failed');
  });

  it('repeat delivers duplicates on purpose, and the control API waits for the outcome', async (t) => {
    const { emu } = await harness(t);
    const r = await receiver(t);
    await emu.control.push.configure(
      APP.appid,
      { url: r.url, token: TOKEN, encodingAESKey: AES_KEY },
      { verify: false },
    );
    emu.control.login(APP.appid, 'eve');
    const started = await control(emu.url, 'POST', '/user-actions', {
      appid: APP.appid,
      user: 'eve',
      action: 'profile',
      repeat: 2,
    });
    assert.equal(started.status, 202);
    const id = (started.body as { deliveries: { id: number }[] }).deliveries[0]?.id;
    const done = await control(emu.url, 'GET', `/pushes/${id}?wait=true`);
    assert.equal((done.body as { attempts: unknown[] }).attempts.length, 3);
    assert.equal(new Set(r.received.map((x) => x.body)).size, 1);
  });

  it('deleting the WeChat account pushes user_authorization_cancellation to each app, and the user is gone', async (t) => {
    const { emu, wx } = await harness(t);
    const r = await receiver(t);
    await emu.control.push.configure(
      APP.appid,
      { url: r.url, token: TOKEN, encodingAESKey: AES_KEY },
      { verify: false },
    );
    await emu.control.push.configure(SISTER.appid, { url: r.url, token: TOKEN }, { verify: false });
    const { code } = emu.control.login(APP.appid, 'fay');
    emu.control.login(SISTER.appid, 'fay');
    const deliveries = emu.control.push.userAction({ appid: APP.appid, user: 'fay', action: 'all' });
    assert.equal(deliveries.length, 2);
    for (const d of deliveries)
      assert.equal((await emu.control.push.settled(d.id)).event, 'user_authorization_cancellation');
    assert.equal(emu.control.user('fay').deleted, true);
    assert.throws(() => emu.control.login(APP.appid, 'fay'), /deleted their WeChat account/);
    assertWxError(await wx.code2session(APP, code), 40029);
    emu.control.upsertUser({ user: 'fay', deleted: false });
    assert.ok(emu.control.login(APP.appid, 'fay').code);
  });

  it('media_check_async answers a trace_id and pushes the scripted verdict', async (t) => {
    const { emu, wx } = await harness(t, { mediaCheck: { delayMs: null } });
    const r = await receiver(t);
    await emu.control.push.configure(
      APP.appid,
      { url: r.url, token: TOKEN, encodingAESKey: AES_KEY, format: 'xml' },
      { verify: false },
    );
    emu.control.login(APP.appid, 'gus');
    const { openid } = emu.control.identity(APP.appid, 'gus');
    const token = await wx.accessToken(APP);
    const submit = (body: Record<string, unknown>) => wx.post('/wxa/media_check_async', { access_token: token }, body);
    assertWxError(await submit({ media_url: r.image, media_type: 0, version: 2, scene: 1, openid }), 40004);
    assertWxError(await submit({ media_url: r.image, media_type: 2, version: 2, scene: 9, openid }), 40129);
    const other = emu.control.identity(SISTER.appid, 'gus').openid;
    assertWxError(await submit({ media_url: r.image, media_type: 2, version: 2, scene: 1, openid: other }), 43104);
    const accepted = await submit({ media_url: r.image, media_type: 2, version: 2, scene: 1, openid });
    assert.equal(accepted.body.errcode, 0);
    assert.match(accepted.body.trace_id, /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    assert.equal(r.received.length, 0, 'held until decided');
    const decided = await control(emu.url, 'POST', `/media-checks/${accepted.body.trace_id}/verdict`, {
      verdict: 'risky',
    });
    assert.equal(decided.status, 200);
    const delivery = await emu.control.push.settled((decided.body as { deliveryId: number }).deliveryId);
    assert.equal(delivery.traceId, accepted.body.trace_id);
    const xml = open((await r.until(1))[0] as Received);
    assert.match(
      xml,
      new RegExp(`<trace_id><!\\[CDATA\\[${accepted.body.trace_id}\\]\\]></trace_id><version>2</version>`),
    );
    assert.match(xml, /<result><suggest><!\[CDATA\[risky\]\]><\/suggest><label>20002<\/label><\/result><\/xml>$/);
    const again = await control(emu.url, 'POST', `/media-checks/${accepted.body.trace_id}/verdict`, {
      verdict: 'pass',
    });
    assert.equal(again.status, 400, 'one verdict per trace_id');

    // A URL WeChat cannot download gives errcode -1008; the policy can push on its own.
    await control(emu.url, 'PUT', '/media-checks/policy', { delayMs: 0 });
    const unreachable = await submit({ media_url: r.missing, media_type: 2, version: 2, scene: 1, openid });
    await r.until(2);
    const second = open(r.received[1] as Received);
    assert.match(second, new RegExp(unreachable.body.trace_id));
    assert.match(second, /<errcode>-1008<\/errcode>/);
    const checks = emu.control.push.mediaChecks();
    assert.deepEqual(
      checks.map((c) => c.verdict),
      ['risky', 'unreachable'],
    );
  });

  it('reads --push specs and refuses mistakes without echoing the token', () => {
    const s = parsePushSpec(
      `appid=${APP.appid},url=http://127.0.0.1:3000/wechat/push/${APP.appid},token=${TOKEN},aesKey=${AES_KEY},format=xml`,
    );
    assert.deepEqual([s.mode, s.format, s.retries, s.timeoutMs], ['safe', 'xml', 3, 5000]);
    assert.throws(
      () => parsePushSpec(`appid=${APP.appid},url=http://h/p,token=x`),
      (err: Error) => !err.message.includes('token=x'),
    );
    assert.throws(
      () => parsePushSpec(`appid=${APP.appid},url=http://h/p,token=${TOKEN},colour=red`),
      /unknown push setting/,
    );
  });
});
