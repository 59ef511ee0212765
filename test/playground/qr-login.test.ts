import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.ts';
import { type DevProcess, startDevProcess } from '../helpers/dev-process.ts';
import { buildPlaygroundOnce } from '../helpers/playground-build.ts';
import { phoneStatus, tapPhone } from './phone-page.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The playground's scan-to-login: the desktop browser beside the phone shows the code weapp-auth
 * drew (weapp-auth-web as built), "scan with the phone" opens the confirm page on the phone, and
 * a confirm logs the browser in — `weapp-auth dev` as `npm start` runs it, in Debian's chromium.
 */
describe('playground: scan to log in on a website', { skip: skipWithoutChromium }, () => {
  let dev: DevProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  /** The ticket's secret, as the website got it: it must never reach the trace. */
  const secrets: string[] = [];

  before(async () => {
    await buildPlaygroundOnce();
    dev = await startDevProcess(['playground']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, locale: 'en-US' });
    page.on('response', async (res) => {
      if (res.request().method() !== 'POST' || !res.url().endsWith('/v1/qr-login')) return;
      const body = (await res.json().catch(() => ({}))) as { secret?: string };
      if (body.secret) secrets.push(body.secret);
    });
    await page.goto(dev.urls.playground ?? '');
    await page.waitForSelector('#phone[data-ready="true"]');
  });

  after(async () => {
    await browser?.close();
    await dev?.stop();
  });

  const traceText = async () => (await page.locator('#trace').textContent()) ?? '';
  const webStatus = (status: string) => page.waitForSelector(`#web-login[data-status="${status}"]`);

  it('the website shows the code; the phone scans it, sees who asks, confirms; the website is logged in as the same user', async () => {
    await page.click('#web-start');
    await webStatus('pending');
    const width = await page.$eval('#web-qrcode', async (img) => {
      await (img as HTMLImageElement).decode();
      return (img as HTMLImageElement).naturalWidth;
    });
    assert.ok(width > 0, 'the code is drawn');

    await tapPhone(page, '#web-scan');
    await page.waitForSelector('#qr-confirm[data-state="ask"]');
    const origin = new URL(dev?.urls.playground ?? '').origin;
    assert.equal(await page.locator('#qr-confirm .qr-origin').textContent(), origin);
    assert.equal(await page.locator('#qr-confirm .qr-title').textContent(), 'weapp-auth playground asks to log in');
    assert.match(
      (await page.locator('#qr-confirm .qr-browser').textContent()) ?? '',
      /^Chrome \d+ · Linux · IP 127\.0\.0\.1$/,
    );
    assert.match(await phoneStatus(page), /asks to log in/);
    await webStatus('scanned');

    await tapPhone(page, '#qr-confirm-button');
    await page.waitForSelector('#qr-confirm[data-state="confirmed"]');
    await webStatus('confirmed');
    await page.waitForSelector('#web-user[data-same-user="true"]');
    assert.match((await page.locator('#web-user').textContent()) ?? '', /audience: playground/);
    assert.match((await page.locator('#web-status').textContent()) ?? '', /Logged in · via events/);

    const text = await traceText();
    for (const step of [
      'browser → POST /v1/qr-login',
      'our server → WeChat: POST /wxa/getwxacodeunlimit',
      'browser: new EventSource(',
      "the user scans the website's code with WeChat",
      'WeChat opens pages/qr-login/confirm with onLoad({scene: ',
      'POST /v1/qr-login/scan',
      'browser ← event: scanned',
      'tap: 确认登录',
      'POST /v1/qr-login/confirm',
      'browser ← event: confirmed',
    ]) {
      assert.ok(text.includes(step), `the trace lacks ${step}`);
    }
    assert.equal(secrets.length, 1);
    for (const secret of secrets) assert.ok(!text.includes(secret), "the ticket's secret reached the trace unmasked");
    assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\.[\w-]+/, 'a token reached the trace unmasked');
    assert.match(text, /"accessToken": "eyJ\w{3}…\(\d+\)"/);
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results/playground-qr-login.png') });
  });

  it('the website logs out; a new code refused on the phone says so on the website', async () => {
    await page.click('#web-logout');
    await webStatus('idle');
    await page.click('#web-start');
    await webStatus('pending');
    await tapPhone(page, '#web-scan');
    await page.waitForSelector('#qr-confirm[data-state="ask"]');
    await tapPhone(page, '#qr-cancel-button');
    await page.waitForSelector('#qr-confirm[data-state="cancelled"]');
    await webStatus('cancelled');
    assert.match((await page.locator('#web-status').textContent()) ?? '', /Refused on the phone \(CANCELLED\)/);
    assert.ok((await traceText()).includes('POST /v1/logout'));
  });

  it('in Chinese: the panel and the confirm page follow the language switch', async () => {
    await page.click('#language-switch [data-language="zh"]');
    assert.equal(await page.locator('#web-start').textContent(), '刷新二维码');
    assert.equal(await page.locator('#web-status').textContent(), '已在手机上取消 (CANCELLED) · 通过 events');
    assert.equal(await page.locator('#qr-confirm .qr-done').textContent(), '已取消登录');
    await page.click('#language-switch [data-language="en"]');
    assert.equal(await page.locator('#web-start').textContent(), 'Show a new code');
  });
});
