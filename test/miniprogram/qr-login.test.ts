import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { AuthError } from '../../packages/miniprogram/src/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { type Stack, startStack } from '../server/stack.ts';
import { claims, phone } from './phone.ts';

const SITE = { id: 'console', origin: 'https://console.example.com' };

/** auth.qrLogin on the stand-in against the real server: the SDK's part of scan-to-login. */
forEachDialect('SDK: auth.qrLogin', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h, { env: { WEB_CLIENTS: `${SITE.id}:${SITE.origin}`, ACCESS_TOKEN_TTL: '60' } });
  });

  /** A website's ticket and the scene its code holds (the emulator reads the picture). */
  async function ticket() {
    const res = await s.call('POST', '/v1/qr-login', { body: { clientId: SITE.id }, headers: { origin: SITE.origin } });
    assert.equal(res.status, 200, res.text);
    const scanned = s.emulator.control.wxacode.scan({ image: res.body.qrcode });
    const poll = () =>
      s.call('GET', `/v1/qr-login/${res.body.id}?secret=${res.body.secret}`, { headers: { origin: SITE.origin } });
    return { scene: scanned.scene, poll };
  }

  it('inspect, confirm: typed answers, and the website gets tokens for this user', async () => {
    const p = phone(s, 'qr-ann');
    const { scene, poll } = await ticket();
    const request = await p.auth.qrLogin.inspect(scene);
    assert.equal(request.status, 'scanned');
    assert.deepEqual(request.client, { id: SITE.id, name: SITE.id, origin: SITE.origin });
    assert.equal(typeof request.expiresIn, 'number');
    assert.deepEqual(await p.auth.qrLogin.confirm(scene), { status: 'confirmed' });
    // A repeat (as after a lost answer) answers the same.
    assert.deepEqual(await p.auth.qrLogin.confirm(scene), { status: 'confirmed' });
    const state = await poll();
    assert.equal(claims(state.body.tokens.accessToken).sub, p.auth.user?.id);
  });

  it('a scene that is not a string, or empty, rejects INVALID_REQUEST without a request', async () => {
    const p = phone(s, 'qr-ben');
    for (const scene of ['', undefined as unknown as string]) {
      const err = await p.auth.qrLogin.inspect(scene).catch((e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.equal(err.code, 'INVALID_REQUEST');
    }
    assert.equal(p.calls('request'), 0);
    assert.equal(p.calls('login'), 0);
  });

  it("another user's scan: QR_LOGIN_SCANNED_BY_OTHER, a 409 AuthError; the first scanner still confirms", async () => {
    const { scene } = await ticket();
    const first = phone(s, 'qr-cat');
    const second = phone(s, 'qr-dan');
    await first.auth.qrLogin.inspect(scene);
    for (const call of [() => second.auth.qrLogin.inspect(scene), () => second.auth.qrLogin.confirm(scene)]) {
      const err = await call().catch((e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.equal(err.code, 'QR_LOGIN_SCANNED_BY_OTHER');
      assert.equal(err.statusCode, 409);
    }
    assert.deepEqual(await first.auth.qrLogin.confirm(scene), { status: 'confirmed' });
  });

  it('an expired access token is refreshed on the way, once', async () => {
    const p = phone(s, 'qr-eve');
    await p.auth.login();
    s.clock.offsetMs += 120_000;
    try {
      const { scene } = await ticket();
      const request = await p.auth.qrLogin.inspect(scene);
      assert.equal(request.status, 'scanned');
      assert.equal(p.calls('request', '/v1/token/refresh'), 1);
      assert.equal(p.calls('login'), 1);
      assert.deepEqual(await p.auth.qrLogin.cancel(scene), { status: 'cancelled' });
    } finally {
      s.clock.offsetMs = 0;
    }
  });
});
