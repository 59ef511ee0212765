import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDialect } from '../helpers/databases.ts';
import { claimsOf, openEvents, QR_ENV, WEB_ORIGIN } from './qr-login-helpers.ts';
import { APPID, type Stack, startStack } from './stack.ts';

// Scan-to-login end to end: the server on loopback, WeChat played by the emulator (its code drawn
// as a PNG, "scanned" through the control API as a phone would), the browser played by fetch.
forEachDialect(
  'scan to log in on a website',
  (h) => {
    let s: Stack;
    before(async () => {
      s = await startStack(h, { env: QR_ENV });
    });

    /** The browser shows a code; the phone of `user` (logged in to the mini program) scans it. */
    async function newTicket(
      headers: Record<string, string> = {
        origin: WEB_ORIGIN,
        'user-agent': 'Chrome/130 test',
        'x-geo-city': 'Shenzhen, CN',
      },
    ) {
      const created = await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' }, headers });
      assert.equal(created.status, 200, created.text);
      const { id, secret, qrcode } = created.body as { id: string; secret: string; qrcode: string };
      // The phone reads the picture: the emulator recognises the code it drew and opens the page.
      const opened = s.emulator.control.wxacode.scan({ image: qrcode });
      return { id, secret, qrcode, scene: decodeURIComponent(opened.query.scene), opened, created };
    }
    async function phone(user: string) {
      const login = await s.login(user);
      assert.equal(login.status, 200, login.text);
      return login.body as { accessToken: string; user: { id: string } };
    }
    const poll = (id: string, secret: string) => s.call('GET', `/v1/qr-login/${id}?secret=${secret}`);

    it('creates a ticket with a real PNG code whose scene opens the configured page', async () => {
      const t = await newTicket();
      assert.match(t.id, /^[A-Za-z0-9_-]{22}$/);
      assert.match(t.secret, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(t.created.body.expiresIn, 120);
      assert.equal(t.created.body.pollInterval, 1500);
      assert.equal(t.created.headers.get('cache-control'), 'no-store');
      const png = Buffer.from(t.qrcode.replace(/^data:image\/png;base64,/, ''), 'base64');
      assert.equal(png.readUInt32BE(0), 0x89504e47, 'a PNG');
      assert.equal(png.toString('latin1', 12, 16), 'IHDR');
      assert.ok(png.readUInt32BE(16) >= 280, 'at least WeChat smallest width');
      assert.equal(t.opened.page, 'pages/qr-login/confirm');
      assert.equal(t.opened.launchScene, 1047);
      assert.match(t.scene, /^[A-Za-z0-9]{32}$/);
      // The scene is not the id nor the secret, and tells nothing about either.
      assert.ok(!t.scene.includes(t.id) && !t.secret.includes(t.scene));
    });

    it('the whole flow by polling: pending, scanned, confirmed with the web session exactly once', async () => {
      const a = await phone('web-ann');
      const t = await newTicket();
      assert.deepEqual((await poll(t.id, t.secret)).body.status, 'pending');

      const scanned = await s.call('POST', '/v1/qr-login/scan', { token: a.accessToken, body: { scene: t.scene } });
      assert.equal(scanned.status, 200, scanned.text);
      assert.deepEqual(scanned.body.client, { id: 'admin', name: '运营后台', origin: WEB_ORIGIN });
      assert.equal(scanned.body.browser.userAgent, 'Chrome/130 test');
      assert.equal(scanned.body.browser.ip, '127.0.0.1');
      assert.equal(scanned.body.browser.place, 'Shenzhen, CN');
      assert.ok(scanned.body.expiresIn > 0 && scanned.body.expiresIn <= 120);
      const afterScan = await poll(t.id, t.secret);
      assert.equal(afterScan.body.status, 'scanned');
      assert.equal(typeof afterScan.body.scannedAt, 'string');
      assert.equal(afterScan.body.tokens, undefined);

      const confirmed = await s.call('POST', '/v1/qr-login/confirm', {
        token: a.accessToken,
        body: { scene: t.scene },
      });
      assert.deepEqual(confirmed.body, { status: 'confirmed' });
      const first = await poll(t.id, t.secret);
      assert.equal(first.body.status, 'confirmed');
      const web = first.body.tokens;
      assert.equal(web.tokenType, 'Bearer');
      assert.equal(web.user.id, a.user.id);
      const claims = claimsOf(web.accessToken);
      assert.equal(claims.aud, 'admin');
      assert.equal(claims.sub, a.user.id, 'the same person as in the mini program');
      assert.equal(claims.openid, undefined);
      // Exactly once: later readers see confirmed, delivered, and no tokens.
      for (let i = 0; i < 3; i++) {
        const again = await poll(t.id, t.secret);
        assert.equal(again.body.status, 'confirmed');
        assert.equal(again.body.delivered, true);
        assert.equal(again.body.tokens, undefined);
      }

      // The web session is a session: /v1/me answers it, mini-program routes refuse it, refresh and logout work.
      const me = await s.call('GET', '/v1/me', { token: web.accessToken });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.user.id, a.user.id);
      const phoneRoute = await s.call('POST', '/v1/me/phone', { token: web.accessToken, body: { code: 'x' } });
      assert.equal(phoneRoute.status, 403);
      assert.equal(phoneRoute.body.code, 'APP_TOKEN_REQUIRED');
      const scanWithWebToken = await s.call('POST', '/v1/qr-login/scan', {
        token: web.accessToken,
        body: { scene: t.scene },
      });
      assert.equal(scanWithWebToken.body.code, 'APP_TOKEN_REQUIRED');
      const refreshed = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: web.refreshToken } });
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal(claimsOf(refreshed.body.accessToken).aud, 'admin');
      assert.equal(claimsOf(refreshed.body.accessToken).openid, undefined);
      assert.equal((await s.call('POST', '/v1/logout', { token: refreshed.body.accessToken })).status, 200);
      assert.equal((await s.call('GET', '/v1/me', { token: refreshed.body.accessToken })).body.code, 'SESSION_REVOKED');
      // The mini program's own session is untouched.
      assert.equal((await s.call('GET', '/v1/me', { token: a.accessToken })).status, 200);

      const types = (
        await s.ctx.store.db.selectFrom('audit_events').select('type').where('type', 'like', 'qr_login.%').execute()
      ).map((r) => r.type);
      for (const type of ['qr_login.created', 'qr_login.scanned', 'qr_login.confirmed'])
        assert.ok(types.includes(type), type);
      // The browser's secret is never logged (it travels in the query, which the logs never show).
      assert.ok(!s.logs.join('').includes(t.secret));
      const metrics = await s.call('GET', '/metrics');
      assert.match(metrics.text, /weapp_auth_qr_logins_total\{event="delivered"\} [1-9]/);
    });

    it('the whole flow by Server-Sent Events, ending after the confirmation', async () => {
      const b = await phone('web-bob');
      const t = await newTicket();
      const stream = await openEvents(`${s.url}/v1/qr-login/${t.id}/events?secret=${t.secret}`);
      try {
        assert.equal(stream.res.status, 200);
        assert.equal((await stream.next(1)).event, 'pending');
        await s.call('POST', '/v1/qr-login/scan', { token: b.accessToken, body: { scene: t.scene } });
        const scanned = await stream.next(2);
        assert.equal(scanned.event, 'scanned');
        assert.equal(scanned.data.status, 'scanned');
        await s.call('POST', '/v1/qr-login/confirm', { token: b.accessToken, body: { scene: t.scene } });
        const confirmed = await stream.next(3);
        assert.equal(confirmed.event, 'confirmed');
        assert.equal(claimsOf(confirmed.data.tokens.accessToken).sub, b.user.id);
        await stream.closed();
        assert.equal(stream.events.length, 3, 'the server ended the stream after the final state');
        // The stream took the tokens: a poll afterwards gets none.
        assert.equal((await poll(t.id, t.secret)).body.delivered, true);
      } finally {
        stream.close();
      }
    });

    it('cancel on the phone, or in the browser, ends the ticket; the stream says so', async () => {
      const c = await phone('web-cat');
      const t = await newTicket();
      const stream = await openEvents(`${s.url}/v1/qr-login/${t.id}/events?secret=${t.secret}`);
      await stream.next(1);
      const notScanned = await s.call('POST', '/v1/qr-login/cancel', {
        token: c.accessToken,
        body: { scene: t.scene },
      });
      assert.equal(notScanned.body.code, 'QR_LOGIN_NOT_SCANNED');
      await s.call('POST', '/v1/qr-login/scan', { token: c.accessToken, body: { scene: t.scene } });
      const cancelled = await s.call('POST', '/v1/qr-login/cancel', { token: c.accessToken, body: { scene: t.scene } });
      assert.deepEqual(cancelled.body, { status: 'cancelled' });
      assert.equal((await stream.next(3)).event, 'cancelled');
      await stream.closed();
      const confirm = await s.call('POST', '/v1/qr-login/confirm', { token: c.accessToken, body: { scene: t.scene } });
      assert.equal(confirm.status, 409);
      assert.equal(confirm.body.code, 'QR_LOGIN_FINISHED');
      assert.equal((await poll(t.id, t.secret)).body.status, 'cancelled');

      const t2 = await newTicket();
      const gaveUp = await s.call('DELETE', `/v1/qr-login/${t2.id}?secret=${t2.secret}`);
      assert.deepEqual(gaveUp.body, { status: 'cancelled' });
      const late = await s.call('POST', '/v1/qr-login/scan', { token: c.accessToken, body: { scene: t2.scene } });
      assert.equal(late.body.code, 'QR_LOGIN_FINISHED');
    });

    it('only the user who scanned may confirm; a second scanner does not take over; double confirm is one login', async () => {
      const d = await phone('web-dan');
      const e = await phone('web-eve');
      const t = await newTicket();
      const early = await s.call('POST', '/v1/qr-login/confirm', { token: d.accessToken, body: { scene: t.scene } });
      assert.equal(early.body.code, 'QR_LOGIN_NOT_SCANNED');
      assert.equal(
        (await s.call('POST', '/v1/qr-login/scan', { token: d.accessToken, body: { scene: t.scene } })).status,
        200,
      );
      // Scanning again is harmless for the same user…
      assert.equal(
        (await s.call('POST', '/v1/qr-login/scan', { token: d.accessToken, body: { scene: t.scene } })).status,
        200,
      );
      // …and refused for anyone else, whatever they try.
      for (const path of ['scan', 'confirm', 'cancel']) {
        const other = await s.call('POST', `/v1/qr-login/${path}`, { token: e.accessToken, body: { scene: t.scene } });
        assert.equal(other.status, 409, path);
        assert.equal(other.body.code, 'QR_LOGIN_SCANNED_BY_OTHER', path);
      }
      const [c1, c2] = await Promise.all([
        s.call('POST', '/v1/qr-login/confirm', { token: d.accessToken, body: { scene: t.scene } }),
        s.call('POST', '/v1/qr-login/confirm', { token: d.accessToken, body: { scene: t.scene } }),
      ]);
      assert.deepEqual([c1.body, c2.body], [{ status: 'confirmed' }, { status: 'confirmed' }]);
      const reads = await Promise.all([poll(t.id, t.secret), poll(t.id, t.secret), poll(t.id, t.secret)]);
      assert.equal(reads.filter((r) => r.body.tokens).length, 1, 'one reader got the tokens');
      const sub = claimsOf(reads.find((r) => r.body.tokens)?.body.tokens.accessToken).sub;
      assert.equal(sub, d.user.id, 'the scanner, never the second user');
      const sessions = await s.ctx.store.db
        .selectFrom('sessions')
        .select('id')
        .where('appid', '=', 'admin')
        .where('user_id', '=', d.user.id)
        .execute();
      assert.equal(sessions.length, 1, 'one web session');
    });

    it('a wrong or missing secret is refused; so is an unknown ticket or scene', async () => {
      const t = await newTicket();
      const wrong = await poll(t.id, `${t.secret.slice(0, -1)}${t.secret.endsWith('A') ? 'B' : 'A'}`);
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.code, 'QR_LOGIN_SECRET_MISMATCH');
      const missing = await s.call('GET', `/v1/qr-login/${t.id}`);
      assert.equal(missing.status, 400);
      assert.equal(missing.body.code, 'INVALID_REQUEST');
      const stream = await s.call('GET', `/v1/qr-login/${t.id}/events?secret=nope`);
      assert.equal(stream.body.code, 'QR_LOGIN_SECRET_MISMATCH');
      const del = await s.call('DELETE', `/v1/qr-login/${t.id}?secret=nope`);
      assert.equal(del.body.code, 'QR_LOGIN_SECRET_MISMATCH');
      assert.equal((await poll(t.id, t.secret)).body.status, 'pending', 'untouched');
      const unknown = await poll('AAAAAAAAAAAAAAAAAAAAAA', t.secret);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'QR_LOGIN_NOT_FOUND');
      const f = await phone('web-fay');
      const noScene = await s.call('POST', '/v1/qr-login/scan', {
        token: f.accessToken,
        body: { scene: 'A'.repeat(32) },
      });
      assert.equal(noScene.body.code, 'QR_LOGIN_NOT_FOUND');
      const noBearer = await s.call('POST', '/v1/qr-login/scan', { body: { scene: t.scene } });
      assert.equal(noBearer.body.code, 'UNAUTHORIZED');
    });

    it('expires after QR_LOGIN_TTL_SECONDS by the server clock', async () => {
      const g = await phone('web-gus');
      const t = await newTicket();
      await s.call('POST', '/v1/qr-login/scan', { token: g.accessToken, body: { scene: t.scene } });
      s.clock.offsetMs += 121_000;
      try {
        const read = await poll(t.id, t.secret);
        assert.equal(read.body.status, 'expired');
        assert.equal(read.body.expiresIn, 0);
        const confirm = await s.call('POST', '/v1/qr-login/confirm', {
          token: g.accessToken,
          body: { scene: t.scene },
        });
        assert.equal(confirm.status, 410);
        assert.equal(confirm.body.code, 'QR_LOGIN_EXPIRED');
        const stream = await openEvents(`${s.url}/v1/qr-login/${t.id}/events?secret=${t.secret}`);
        assert.equal((await stream.next(1)).event, 'expired');
        await stream.closed();
      } finally {
        s.clock.offsetMs -= 121_000;
      }
    });

    it('CORS for the configured origins on the web routes only; another origin is refused', async () => {
      const preflight = await fetch(`${s.url}/v1/qr-login`, {
        method: 'OPTIONS',
        headers: {
          origin: WEB_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), WEB_ORIGIN);
      const t = await newTicket();
      const read = await s.call('GET', `/v1/qr-login/${t.id}?secret=${t.secret}`, { headers: { origin: WEB_ORIGIN } });
      assert.equal(read.headers.get('access-control-allow-origin'), WEB_ORIGIN);
      const me = await s.call('GET', '/v1/me', { headers: { origin: WEB_ORIGIN } });
      assert.equal(me.headers.get('access-control-allow-origin'), null, 'no CORS off the web routes');
      const evil = await s.call('POST', '/v1/qr-login', {
        body: { clientId: 'admin' },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(evil.status, 403);
      assert.equal(evil.body.code, 'ORIGIN_NOT_ALLOWED');
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
      const unknown = await s.call('POST', '/v1/qr-login', { body: { clientId: 'shop' } });
      assert.equal(unknown.body.code, 'UNKNOWN_WEB_CLIENT');
      // A website's own backend may create tickets without an Origin.
      assert.equal((await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin', appid: APPID } })).status, 200);
    });

    it("WeChat's refusals are mapped with advice: 41030 page not published, 45009 the minute's quota", async () => {
      s.emulator.control.wxacode.setPublishedPages(APPID, ['pages/index/index']);
      try {
        const unpublished = await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } });
        assert.equal(unpublished.status, 502);
        assert.equal(unpublished.body.code, 'QR_LOGIN_PAGE_INVALID');
        assert.match(unpublished.body.message, /QR_LOGIN_CHECK_PATH=false/);
      } finally {
        s.emulator.control.wxacode.setPublishedPages(APPID, null);
      }
      const fault = s.emulator.control.addFault({ api: 'getwxacodeunlimit', errcode: 45009 });
      try {
        const limited = await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } });
        assert.equal(limited.status, 429);
        assert.equal(limited.body.code, 'WECHAT_RATE_LIMITED');
        assert.match(limited.body.message, /5 000/);
      } finally {
        s.emulator.control.removeFault(fault.id);
      }
    });
  },
  { only: ['sqlite'] },
);

forEachDialect(
  'scan to log in: limits',
  (h) => {
    it('per client IP, and codes per mini program per minute, before WeChat is asked', async () => {
      const s = await startStack(h, { env: { ...QR_ENV, QR_LOGIN_RATE_LIMIT: '3', QR_LOGIN_CODES_PER_MINUTE: '2' } });
      const statuses: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } });
        statuses.push(r.body.code ?? String(r.status));
        if (r.body.code === 'QR_LOGIN_BUSY') assert.equal(r.headers.get('retry-after'), '60');
      }
      assert.deepEqual(statuses, ['200', '200', 'QR_LOGIN_BUSY', 'RATE_LIMITED']);
      assert.equal(s.upstreamCalls('getwxacodeunlimit'), 2, 'refused tickets cost no quota');
    });

    it('an open event stream reports the expiry by itself, when the ticket is due, and ends', async () => {
      // The shortest lifetime allowed: the stream's own timer, not a read, must notice it.
      const s = await startStack(h, { env: { ...QR_ENV, QR_LOGIN_TTL_SECONDS: '10' } });
      const created = await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } });
      const stream = await openEvents(`${s.url}/v1/qr-login/${created.body.id}/events?secret=${created.body.secret}`);
      assert.equal((await stream.next(1)).event, 'pending');
      const expired = await stream.next(2);
      assert.equal(expired.event, 'expired');
      assert.equal(expired.data.expiresIn, 0);
      await stream.closed();
    });
  },
  { only: ['sqlite'] },
);
