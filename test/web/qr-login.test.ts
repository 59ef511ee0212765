import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { claims, type Phone, phone } from '../miniprogram/phone.ts';
import { type Stack, startStack } from '../server/stack.ts';
import { type PageServer, startPageServer } from './page-server.ts';

const CLIENT = 'console';

/** What the page keeps of a login, readable from the test. */
interface Seen {
  events: { status: string; transport: string; code?: string }[];
}

/**
 * weapp-auth-web as a website loads it (the built ES module, on an origin of its own), in Debian's
 * chromium, against the real server and emulator; the phone is the SDK on the stand-in.
 */
forEachDialect(
  'weapp-auth-web in chromium',
  (h) => {
    describe('scan to log in', { skip: skipWithoutChromium }, () => {
      let s: Stack;
      let site: PageServer;
      let browser: Browser;

      before(async () => {
        site = await startPageServer();
        s = await startStack(h, {
          env: { WEB_CLIENTS: `${CLIENT}:${site.origin}`, WEB_CLIENT_NAMES: `${CLIENT}:运营后台` },
        });
        browser = await launchChromium();
      });
      after(async () => {
        await browser?.close();
        await site?.close();
      });

      /** A fresh tab on the site, optionally without EventSource (as an old browser). */
      async function openSite(
        options: { eventSource?: boolean } = {},
      ): Promise<{ page: Page; context: BrowserContext }> {
        const context = await browser.newContext();
        if (options.eventSource === false) {
          await context.addInitScript(() => {
            // Gone, not undefined-valued: as in a browser that never had it.
            delete (globalThis as { EventSource?: unknown }).EventSource;
          });
        }
        const page = await context.newPage();
        await page.goto(site.origin);
        return { page, context };
      }

      /** startQrLogin in the page; the login object stays there, its events collected. */
      async function start(page: Page, extra: Record<string, unknown> = {}) {
        return page.evaluate(
          async ({ baseUrl, clientId, extra }) => {
            const web = await import('/weapp-auth-web.js' as string);
            const login = await web.startQrLogin({ baseUrl, clientId, ...extra });
            const w = window as unknown as Record<string, unknown>;
            const seen: Seen = { events: [] };
            w.seen = seen;
            w.login = login;
            login.on('status', (u: { status: string; transport: string; error?: { code: string } }) =>
              seen.events.push({ status: u.status, transport: u.transport, ...(u.error && { code: u.error.code }) }),
            );
            w.outcome = login.result.then(
              (tokens: unknown) => ({ tokens }),
              (err: { code: string }) => ({ code: err.code }),
            );
            const img = document.querySelector('#code') as HTMLImageElement;
            img.src = login.qrcodeUrl;
            await img.decode();
            return {
              id: login.id as string,
              qrcodeUrl: login.qrcodeUrl as string,
              transport: login.transport as string,
              width: img.naturalWidth,
            };
          },
          { baseUrl: s.url, clientId: CLIENT, extra },
        );
      }

      const waitForStatus = (page: Page, status: string) =>
        page.waitForFunction(
          (st) => (window as unknown as { seen: Seen }).seen.events.some((e) => e.status === st),
          status,
        );
      const outcome = (page: Page) =>
        page.evaluate(
          () =>
            (window as unknown as { outcome: Promise<{ tokens?: Record<string, unknown>; code?: string }> }).outcome,
        );
      const seen = (page: Page) => page.evaluate(() => (window as unknown as { seen: Seen }).seen);

      /** The phone's camera on the code: the scene its page's onLoad would get, decoded. */
      async function scan(qrcodeUrl: string): Promise<string> {
        const res = await fetch(`${s.emulator.url}/__emulator/wxacode/scan`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image: qrcodeUrl }),
        });
        const body = (await res.json()) as { page: string; query: { scene: string } };
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(body.page, 'pages/qr-login/confirm');
        return decodeURIComponent(body.query.scene);
      }

      /** The whole flow on one tab; answers the tokens the page got and the phone that confirmed. */
      async function loginOnce(page: Page, p: Phone, extra: Record<string, unknown> = {}) {
        const started = await start(page, extra);
        assert.ok(started.width > 0, 'the code is an image the browser draws');
        const scene = await scan(started.qrcodeUrl);
        const request = await p.auth.qrLogin.inspect(scene);
        await waitForStatus(page, 'scanned');
        await p.auth.qrLogin.confirm(scene);
        const got = await outcome(page);
        return { started, scene, request, got };
      }

      it('Server-Sent Events: the code, "scanned", then the tokens of the same user for the website', async () => {
        const { page, context } = await openSite();
        const p = phone(s, 'web-ann');
        const { started, request, got } = await loginOnce(page, p);
        assert.equal(started.transport, 'events');
        assert.match(started.qrcodeUrl, /^data:image\/(png|jpeg);base64,/);
        // What the confirm page shows: the site by the name and origin the operator gave it, this browser.
        assert.deepEqual(request.client, { id: CLIENT, name: '运营后台', origin: site.origin });
        assert.match(request.browser.userAgent ?? '', /Chrome/);
        assert.equal(request.browser.ip, '127.0.0.1');

        const tokens = got.tokens as { accessToken: string; refreshToken: string; user: { id: string } };
        assert.ok(tokens, `the login failed: ${got.code}`);
        const web = claims(tokens.accessToken);
        assert.equal(web.aud, CLIENT);
        assert.equal(web.sub, p.auth.user?.id);
        assert.equal(tokens.user.id, p.auth.user?.id);
        const { events } = await seen(page);
        assert.deepEqual(
          events.map((e) => `${e.status}/${e.transport}`),
          ['scanned/events', 'confirmed/events'],
        );
        await context.close();
      });

      it('the web session refreshes and logs out from the page (CORS for the site only)', async () => {
        const { page, context } = await openSite();
        const { got } = await loginOnce(page, phone(s, 'web-bob'));
        const result = await page.evaluate(
          async ({ baseUrl, refreshToken }) => {
            const web = await import('/weapp-auth-web.js' as string);
            const fresh = await web.refreshTokens({ baseUrl, refreshToken });
            await web.logout({ baseUrl, accessToken: fresh.accessToken });
            const again = await web
              .refreshTokens({ baseUrl, refreshToken: fresh.refreshToken })
              .catch((e: { code: string }) => e.code);
            return { fresh: typeof fresh.accessToken, again };
          },
          { baseUrl: s.url, refreshToken: (got.tokens as { refreshToken: string }).refreshToken },
        );
        assert.equal(result.fresh, 'string');
        assert.match(String(result.again), /^REFRESH_TOKEN_INVALID|SESSION_REVOKED$/);
        await context.close();
      });

      it('polling when the browser has no EventSource', async () => {
        const { page, context } = await openSite({ eventSource: false });
        const { started, got } = await loginOnce(page, phone(s, 'web-cat'));
        assert.equal(started.transport, 'polling');
        assert.ok(got.tokens, `the login failed: ${got.code}`);
        const { events } = await seen(page);
        assert.deepEqual(
          events.map((e) => `${e.status}/${e.transport}`),
          ['scanned/polling', 'confirmed/polling'],
        );
        await context.close();
      });

      it('polling when the event stream fails (a proxy that drops it)', async () => {
        const { page, context } = await openSite();
        // The network refuses the stream, as a proxy or a firewall might; everything else passes.
        await page.route(/\/v1\/qr-login\/[^/?]+\/events\?/, (route) => route.abort('connectionrefused'));
        const { got } = await loginOnce(page, phone(s, 'web-dan'));
        assert.ok(got.tokens, `the login failed: ${got.code}`);
        assert.equal(
          await page.evaluate(() => (window as unknown as { login: { transport: string } }).login.transport),
          'polling',
        );
        const { events } = await seen(page);
        assert.deepEqual(events.at(-1), { status: 'confirmed', transport: 'polling' });
        await context.close();
      });

      it('cancel on the phone: the page hears "cancelled" and the result rejects CANCELLED', async () => {
        const { page, context } = await openSite();
        const started = await start(page);
        const scene = await scan(started.qrcodeUrl);
        const p = phone(s, 'web-eve');
        await p.auth.qrLogin.inspect(scene);
        await p.auth.qrLogin.cancel(scene);
        assert.deepEqual(await outcome(page), { code: 'CANCELLED' });
        assert.deepEqual((await seen(page)).events.at(-1), {
          status: 'cancelled',
          transport: 'events',
          code: 'CANCELLED',
        });
        await context.close();
      });

      it('the page gives up (cancel()): the phone can no longer confirm', async () => {
        const { page, context } = await openSite();
        const started = await start(page);
        await page.evaluate(() => (window as unknown as { login: { cancel(): void } }).login.cancel());
        assert.deepEqual(await outcome(page), { code: 'ABORTED' });
        const scene = await scan(started.qrcodeUrl);
        const p = phone(s, 'web-fay');
        // The DELETE is best effort and not awaited by the page: wait until the server has it.
        let code = '';
        for (let i = 0; i < 200 && code !== 'QR_LOGIN_FINISHED'; i++) {
          code = await p.auth.qrLogin.inspect(scene).then(
            () => 'scanned',
            (err: { code: string }) => err.code,
          );
          if (code !== 'QR_LOGIN_FINISHED') await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(code, 'QR_LOGIN_FINISHED');
        await context.close();
      });

      for (const transport of ['polling', 'auto'] as const) {
        it(`expiry (${transport}): the page hears "expired" and the result rejects EXPIRED`, async () => {
          const { page, context } = await openSite();
          await start(page, { transport });
          // The server's clock past the ticket's lifetime: the next poll, or the stream's next look
          // (its heartbeat re-reads the ticket), finds it expired.
          const ttl = s.ctx.config.qrLogin.ttlSeconds;
          s.clock.offsetMs += (ttl + 5) * 1000;
          try {
            assert.deepEqual(await outcome(page), { code: 'EXPIRED' });
            const last = (await seen(page)).events.at(-1);
            assert.deepEqual(last, {
              status: 'expired',
              transport: transport === 'polling' ? 'polling' : 'events',
              code: 'EXPIRED',
            });
          } finally {
            s.clock.offsetMs = 0;
          }
          await context.close();
        });
      }

      it('a page on an origin WEB_CLIENTS does not list is refused by CORS: NETWORK_ERROR naming WEB_CLIENTS', async () => {
        const context = await browser.newContext();
        const page = await context.newPage();
        // The same site under another name is another origin.
        await page.goto(site.origin.replace('127.0.0.1', 'localhost'));
        const failure = await page.evaluate(
          async ({ baseUrl, clientId }) => {
            const web = await import('/weapp-auth-web.js' as string);
            return web.startQrLogin({ baseUrl, clientId }).then(
              () => undefined,
              (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
            );
          },
          { baseUrl: s.url, clientId: CLIENT },
        );
        assert.equal(failure?.code, 'NETWORK_ERROR');
        assert.match(failure?.message ?? '', /WEB_CLIENTS/);
        await context.close();
      });

      it('a site not in WEB_CLIENTS gets no ticket', async () => {
        const { page, context } = await openSite();
        const code = await page.evaluate(
          async ({ baseUrl }) => {
            const web = await import('/weapp-auth-web.js' as string);
            return web.startQrLogin({ baseUrl, clientId: 'not-configured' }).then(
              () => 'started',
              (e: { code: string }) => e.code,
            );
          },
          { baseUrl: s.url },
        );
        assert.equal(code, 'UNKNOWN_WEB_CLIENT');
        await context.close();
      });
    });
  },
  { only: ['sqlite'] },
);
