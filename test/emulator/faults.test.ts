import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { CallEvent } from '../../src/emulator/index.ts';
import { APP, assertWxError, control, harness, LONE } from './helpers.ts';

describe('fault injection', () => {
  it('forces an errcode for the next N calls of one API, then answers for real', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.addFault({ api: 'token', errcode: 45009, count: 2 });
    assertWxError(await wx.token(LONE), 45009);
    assertWxError(await wx.token(APP), 45009);
    assert.ok((await wx.token(LONE)).body.access_token);
    assert.deepEqual(emu.control.faults(), []);
  });

  it('answers -1 system error for the given share of calls, replayed identically by the same seed', async (t) => {
    const outcomes = async () => {
      const { emu, wx } = await harness(t);
      emu.control.addFault({ api: 'token', fail: 'system-error', rate: 0.5 });
      const errcodes: number[] = [];
      for (let i = 0; i < 30; i++) errcodes.push((await wx.token(LONE)).body.errcode ?? 0);
      return errcodes;
    };
    const first = await outcomes();
    assert.ok(first.includes(-1) && first.includes(0), JSON.stringify(first));
    assert.deepEqual(await outcomes(), first);
  });

  it('answers -1 with WeChat text', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.addFault({ fail: 'system-error' });
    const answer = await wx.token(LONE);
    assertWxError(answer, -1);
    assert.match(answer.body.errmsg, /^system error, rid: /);
  });

  it('limits a fault to one app', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.addFault({ appid: APP.appid, errcode: -1 });
    assertWxError(await wx.token(APP), -1);
    assert.ok((await wx.token(LONE)).body.access_token);
  });

  it('drops the connection without an answer', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.addFault({ api: 'jscode2session', fail: 'drop', count: 1 });
    const code = emu.control.login(LONE.appid, 'alice').code;
    await assert.rejects(wx.code2session(LONE, code), TypeError);
    assert.ok((await wx.code2session(LONE, code)).body.openid, 'the dropped call did not spend the code');
    assert.equal(emu.control.calls().recent[0]?.outcome, 'dropped');
  });

  it('leaves a call unanswered until the client gives up, and still closes', async (t) => {
    const { emu } = await harness(t);
    emu.control.addFault({ api: 'token', fail: 'timeout' });
    const url = `${emu.url}/cgi-bin/token?grant_type=client_credential&appid=${LONE.appid}&secret=${LONE.secret}`;
    await assert.rejects(fetch(url, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
    const pending = fetch(url).catch((err: unknown) => err);
    while (emu.control.calls().counts[LONE.appid]?.token !== 2) await new Promise((r) => setImmediate(r));
    await emu.close();
    assert.ok((await pending) instanceof TypeError, 'closing ends the hanging connection');
  });

  it('adds latency and still answers', async (t) => {
    const { emu, wx } = await harness(t);
    emu.control.addFault({ latencyMs: 30 });
    assert.ok((await wx.token(LONE)).body.access_token);
    assert.equal(emu.control.calls().recent[0]?.faulted, true);
  });

  it('refuses malformed rules', async (t) => {
    const { emu } = await harness(t);
    for (const rule of [
      {},
      { api: 'nope', errcode: 1 },
      { fail: 'explode' },
      { errcode: 1, rate: 2 },
      { fail: 'drop', errcode: -1 },
    ]) {
      assert.throws(() => emu.control.addFault(rule as never), {
        name: 'EmulatorControlError',
        code: 'INVALID_ARGUMENT',
      });
    }
  });

  it('is managed over HTTP: add, list, remove, clear, reset', async (t) => {
    const { emu, wx } = await harness(t);
    const added = await control(emu.url, 'POST', '/faults', { api: 'token', errcode: 40001 });
    assert.equal(added.status, 201);
    const { id } = added.body as { id: number };
    assert.deepEqual((await control(emu.url, 'GET', '/faults')).body, [{ id, api: 'token', errcode: 40001 }]);
    assertWxError(await wx.token(LONE), 40001);
    assert.equal((await control(emu.url, 'DELETE', `/faults/${id}`)).status, 204);
    assert.equal((await control(emu.url, 'DELETE', `/faults/${id}`)).status, 404);
    await control(emu.url, 'POST', '/faults', { fail: 'system-error' });
    assert.equal((await control(emu.url, 'DELETE', '/faults')).status, 204);
    await control(emu.url, 'POST', '/faults', { fail: 'system-error' });
    assert.equal((await control(emu.url, 'POST', '/reset', { scope: 'faults' })).status, 204);
    assert.ok((await wx.token(LONE)).body.access_token);
    const bad = await control(emu.url, 'POST', '/faults', { rate: 0.5 });
    assert.equal(bad.status, 400);
    assert.match((bad.body as { message: string }).message, /give latencyMs, fail or errcode/);
  });
});

describe('call counters and events', () => {
  it('counts every call per app and API, over HTTP too', async (t) => {
    const { emu, wx } = await harness(t);
    await wx.token(LONE);
    await wx.token(LONE);
    await wx.code2session(APP, emu.control.login(APP.appid, 'alice').code);
    await wx.get('/sns/jscode2session', {});
    assert.deepEqual(emu.control.calls().counts, {
      [LONE.appid]: { token: 2 },
      [APP.appid]: { jscode2session: 1 },
      '-': { jscode2session: 1 },
    });
    const http = await control(emu.url, 'GET', `/calls?appid=${LONE.appid}`);
    const view = http.body as { counts: unknown; recent: CallEvent[] };
    assert.deepEqual(view.counts, { [LONE.appid]: { token: 2 } });
    assert.equal(view.recent.length, 2);
    emu.control.reset('calls');
    assert.deepEqual(emu.control.calls(), { counts: {}, recent: [] });
  });

  it('tells listeners about each call, and neither events nor logs carry a secret, key, token or code', async (t) => {
    const events: CallEvent[] = [];
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { emu, wx } = await harness(t, { onCall: (e) => events.push(e), logger: pino(sink) });
    const local: CallEvent[] = [];
    const stop = emu.control.onCall((e) => local.push(e));
    const code = emu.control.login(APP.appid, 'alice').code;
    const session = (await wx.code2session(APP, code)).body;
    const token = await wx.accessToken(APP);
    const phone = emu.control.getPhoneNumber(APP.appid, 'alice') as { code: string };
    await wx.post('/wxa/business/getuserphonenumber', { access_token: token }, { code: phone.code });
    await wx.get('/wxa/checksession', {
      access_token: token,
      openid: session.openid,
      signature: 'x',
      sig_method: 'hmac_sha256',
    });
    stop();
    await wx.token(APP);

    assert.deepEqual(
      events.map((e) => [e.api, e.appid, e.user, e.errcode]),
      [
        ['jscode2session', APP.appid, 'alice', 0],
        ['token', APP.appid, undefined, 0],
        ['getuserphonenumber', APP.appid, 'alice', 0],
        ['checksession', APP.appid, 'alice', 87009],
        ['token', APP.appid, undefined, 0],
      ],
    );
    assert.equal(local.length, 4, 'unsubscribed listeners hear nothing more');
    assert.equal(lines.filter((l) => (JSON.parse(l) as { msg: string }).msg === 'wechat call').length, 5);
    const seen = JSON.stringify(events) + lines.join('');
    for (const secret of [APP.secret, session.session_key, token, code, phone.code]) {
      assert.equal(seen.includes(secret), false, 'a secret leaked into events or logs');
    }
  });

  it('keeps serving when a listener throws', async (t) => {
    const { wx } = await harness(t, {
      onCall: () => {
        throw new Error('broken dev UI');
      },
    });
    assert.ok((await wx.token(LONE)).body.access_token);
  });
});
