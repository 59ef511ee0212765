import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP, assertWxError, assertWxOk, HOUR, harness, LONE, MINUTE, type WechatClient } from './helpers.ts';

const TOKEN = /^\d+_[A-Za-z0-9_-]{100,}$/;

/** msg_sec_check v1 is the cheapest access-token API to probe a token with. */
function probe(wx: WechatClient, accessToken: string) {
  return wx.post('/wxa/msg_sec_check', { access_token: accessToken }, { content: 'hello' });
}

describe('GET /cgi-bin/token', () => {
  it('issues a new token on every call, with expires_in 7200 and no errcode', async (t) => {
    const { wx } = await harness(t);
    const first = await wx.token(LONE);
    assert.equal(first.contentType, 'text/plain');
    assert.deepEqual(Object.keys(first.body), ['access_token', 'expires_in']);
    assert.match(first.body.access_token, TOKEN);
    assert.equal(first.body.expires_in, 7200);
    const second = await wx.token(LONE);
    assert.notEqual(second.body.access_token, first.body.access_token);
  });

  it('keeps the previous token working 5 minutes after a new one, then answers 40001', async (t) => {
    const { wx, clock } = await harness(t);
    const old = await wx.accessToken(LONE);
    clock.advance(HOUR);
    const fresh = await wx.accessToken(LONE);
    clock.advance(5 * MINUTE - 1);
    assertWxOk(await probe(wx, old));
    clock.advance(1);
    assertWxError(await probe(wx, old), 40001, clock);
    assertWxOk(await probe(wx, fresh));
  });

  it('answers 42001 once a token lived its 7200 seconds', async (t) => {
    const { wx, clock } = await harness(t);
    const token = await wx.accessToken(LONE);
    clock.advance(2 * HOUR - 1);
    assertWxOk(await probe(wx, token));
    clock.advance(1);
    assertWxError(await probe(wx, token), 42001, clock);
  });

  it('validates access_token: 41001 missing, 40014 malformed, 40001 unknown', async (t) => {
    const { wx } = await harness(t);
    assertWxError(await wx.post('/wxa/msg_sec_check', {}, { content: 'hello' }), 41001);
    assertWxError(await probe(wx, 'not a token!'), 40014);
    assertWxError(await probe(wx, `86_${'A'.repeat(130)}`), 40001);
  });

  it('answers 45009 past the daily quota, until midnight Beijing time', async (t) => {
    const { wx, clock } = await harness(t, { limits: { tokenPerDay: 2 } });
    await wx.accessToken(LONE);
    await wx.accessToken(LONE);
    assertWxError(await wx.token(LONE), 45009);
    assert.ok((await wx.token(APP)).body.access_token, 'the quota is per app');
    // START is 12:00 in Beijing: midnight there is 12 hours later.
    clock.advance(12 * HOUR - 1);
    assertWxError(await wx.token(LONE), 45009);
    clock.advance(1);
    assert.ok((await wx.token(LONE)).body.access_token);
  });

  it('checks appid and secret: 41002, 41004, 40002, 40013, 40125', async (t) => {
    const { wx } = await harness(t);
    const full = { grant_type: 'client_credential', appid: LONE.appid, secret: LONE.secret };
    assertWxError(await wx.get('/cgi-bin/token', { grant_type: full.grant_type, secret: full.secret }), 41002);
    assertWxError(await wx.get('/cgi-bin/token', { grant_type: full.grant_type, appid: full.appid }), 41004);
    assertWxError(await wx.get('/cgi-bin/token', { ...full, grant_type: 'authorization_code' }), 40002);
    assertWxError(await wx.get('/cgi-bin/token', { ...full, appid: 'wx0000000000000000' }), 40013);
    assertWxError(await wx.get('/cgi-bin/token', { ...full, secret: 'wrong' }), 40125);
  });

  it('answers 40164 to a caller outside the app whitelist', async (t) => {
    const walled = { appid: 'wx00000000000000aa', secret: 's3cret', ipWhitelist: ['10.1.2.3'] };
    const { wx } = await harness(t, { apps: [walled, { ...LONE, ipWhitelist: ['127.0.0.1'] }] });
    const refused = await wx.token(walled);
    assertWxError(refused, 40164);
    assert.match(refused.body.errmsg, /^invalid ip 127\.0\.0\.1 ipv6 ::ffff:127\.0\.0\.1, not in whitelist, rid: /);
    assertWxError(await wx.stableToken(walled), 40164);
    assert.ok((await wx.token(LONE)).body.access_token);
  });
});

describe('POST /cgi-bin/stable_token', () => {
  it('returns the same token with a shrinking expires_in', async (t) => {
    const { wx, clock } = await harness(t);
    const first = await wx.stableToken(LONE);
    assert.deepEqual(Object.keys(first.body), ['access_token', 'expires_in']);
    assert.match(first.body.access_token, TOKEN);
    assert.equal(first.body.expires_in, 7200);
    clock.advance(10 * MINUTE);
    const later = await wx.stableToken(LONE, false);
    assert.equal(later.body.access_token, first.body.access_token);
    assert.equal(later.body.expires_in, 7200 - 600);
  });

  it('renews in the last 5 minutes, the old token working until it expires', async (t) => {
    const { wx, clock } = await harness(t);
    const old = (await wx.stableToken(LONE)).body.access_token;
    clock.advance(2 * HOUR - 5 * MINUTE - 1);
    const still = await wx.stableToken(LONE);
    assert.equal(still.body.access_token, old);
    assert.equal(still.body.expires_in, 300);
    clock.advance(1);
    const renewed = await wx.stableToken(LONE);
    assert.notEqual(renewed.body.access_token, old);
    assert.equal(renewed.body.expires_in, 7200);
    assertWxOk(await probe(wx, old));
    clock.advance(5 * MINUTE);
    assertWxError(await probe(wx, old), 42001);
    assertWxOk(await probe(wx, renewed.body.access_token));
  });

  it('force_refresh replaces the token at once, at most once per 30 s and 20 times a day', async (t) => {
    const { wx, clock } = await harness(t, { limits: { forceRefreshPerDay: 3 } });
    const first = (await wx.stableToken(LONE)).body.access_token;
    const forced = (await wx.stableToken(LONE, true)).body.access_token;
    assert.notEqual(forced, first);
    assertWxError(await probe(wx, first), 40001);
    clock.advance(30_000 - 1);
    assert.equal((await wx.stableToken(LONE, true)).body.access_token, forced, 'too soon: no refresh');
    clock.advance(1);
    const second = (await wx.stableToken(LONE, true)).body.access_token;
    assert.notEqual(second, forced);
    clock.advance(MINUTE);
    const third = (await wx.stableToken(LONE, true)).body.access_token;
    assert.notEqual(third, second);
    clock.advance(MINUTE);
    assert.equal((await wx.stableToken(LONE, true)).body.access_token, third, 'daily forced refreshes spent');
  });

  it('is independent of /cgi-bin/token', async (t) => {
    const { wx } = await harness(t);
    const stable = (await wx.stableToken(LONE)).body.access_token;
    const plain = await wx.accessToken(LONE);
    await wx.accessToken(LONE);
    assert.notEqual(stable, plain);
    assert.equal((await wx.stableToken(LONE)).body.access_token, stable, 'new plain tokens leave the stable one');
    await wx.stableToken(LONE, true);
    // The plain token survives a forced stable refresh.
    assertWxOk(await probe(wx, plain));
  });

  it('wants a JSON body: 43002 for GET, 41002 for query parameters, 47001 for a form', async (t) => {
    const { wx } = await harness(t);
    const params = { grant_type: 'client_credential', appid: LONE.appid, secret: LONE.secret };
    assertWxError(await wx.get('/cgi-bin/stable_token', params), 43002);
    assertWxError(await wx.post('/cgi-bin/stable_token', params, ''), 41002);
    assertWxError(
      await wx.post(
        '/cgi-bin/stable_token',
        {},
        new URLSearchParams(params).toString(),
        'application/x-www-form-urlencoded',
      ),
      47001,
    );
    assertWxError(await wx.post('/cgi-bin/stable_token', {}, { ...params, secret: undefined }), 41004);
    assertWxError(await wx.post('/cgi-bin/stable_token', {}, { ...params, secret: 'wrong' }), 40125);
    assertWxError(await wx.post('/cgi-bin/stable_token', {}, { ...params, force_refresh: 'yes' }), 40097);
  });

  it('answers 45011 past its minute quota and 45009 past its daily one', async (t) => {
    const { wx, clock } = await harness(t, { limits: { stableTokenPerMinute: 1, stableTokenPerDay: 2 } });
    assert.ok((await wx.stableToken(LONE)).body.access_token);
    assertWxError(await wx.stableToken(LONE), 45011);
    clock.advance(MINUTE);
    assert.ok((await wx.stableToken(LONE)).body.access_token);
    clock.advance(MINUTE);
    assertWxError(await wx.stableToken(LONE), 45009);
  });
});
