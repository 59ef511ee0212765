import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromiumProfile, skipWithoutChromium } from '../helpers/chromium.ts';
import { type DevProcess, startDevProcess } from '../helpers/dev-process.ts';
import { buildPlaygroundOnce } from '../helpers/playground-build.ts';
import { phoneStatus, tapPhone } from './phone-page.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The playground's "In WeChat's settings" panel in chromium: the revocation, its push in the trace, its effect. */
describe('playground: revoke in WeChat settings', { skip: skipWithoutChromium }, () => {
  let dev: DevProcess | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;
  let playground = '';
  let emulator = '';

  before(async () => {
    await buildPlaygroundOnce();
    dev = await startDevProcess(['playground', 'emulator'], {
      env: { PORT: '0', WEAPP_PUSH: undefined, CONTENT_CHECK: 'on' },
    });
    ({ playground = '', emulator = '' } = dev.urls);
    browser = await launchChromiumProfile(join(dev.dir, 'chromium-profile'));
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  after(async () => {
    await browser?.close();
    await dev?.stop();
  });

  const status = () => phoneStatus(page);
  const tap = (selector: string) => tapPhone(page, selector);
  const pushes = () => page.$$eval('#trace .row.push', (rows) => rows.map((r) => r.textContent ?? ''));

  it('revoking the phone number in WeChat: the push in the trace, the number gone from the phone', async () => {
    await page.goto(playground);
    await page.waitForSelector('#phone[data-ready="true"]');
    await tap('#login');
    assert.match(await status(), /^Logged in as /);
    await tap('#bind-phone');
    assert.match((await page.locator('#phone-number').textContent()) ?? '', /\*+\d{4}/);

    await tap('#revoke-phone');
    assert.match(await status(), /The push was delivered: user_authorization_revoke/);
    const [push] = await pushes();
    assert.match(
      push ?? '',
      /WeChat → our server: POST \/wechat\/push\/wx\w+ · user_authorization_revoke \(RevokeInfo 8\) · safe, json/,
    );
    assert.match(push ?? '', /attempt \d: 200 success/);
    assert.equal(
      (await page.locator('#phone-number').textContent())?.includes('*'),
      false,
      'the phone shows no number',
    );
    assert.match((await page.locator('#trace').textContent()) ?? '', /the user withdraws the phone number/);
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results/playground-revoke.png') });
  });

  it('deleting the WeChat account logs the phone out; a new account logs in as a new user', async () => {
    await tap('#revoke-all');
    assert.match(await status(), /The WeChat account is deleted/);
    assert.match((await pushes()).at(-1) ?? '', /user_authorization_cancellation/);
    assert.equal(await page.locator('#phone').getAttribute('data-logged-in'), 'false');
    const user = (await (await fetch(`${emulator}/__emulator/users/alice`)).json()) as { deleted?: boolean };
    assert.equal(user.deleted, true);
    await tap('#restore-wechat-account');
    await tap('#login');
    assert.match(await status(), /^Logged in as /);
  });

  it("WeChat's avatar verdict arrives by push after the upload: risky, in the trace, and the avatar is gone", async () => {
    const policy = await fetch(`${emulator}/__emulator/media-checks/policy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verdict: 'risky', delayMs: 0 }),
    });
    assert.equal(policy.status, 200);
    await page.click('#choose-avatar');
    await page.waitForSelector('#avatar-sheet:not([hidden]) .sample .picture img');
    await tap('#avatar-sheet .sample[data-sample="1"]');
    await page.fill('#nickname-input', 'Risky avatar');
    await tap('#save');
    // With delayMs 0 the verdict may remove the avatar before the nickname's answer comes back (dev
    // checks the nickname with msg_sec_check first, issue 14): the saved nickname is what is certain
    // here; the avatar's removal is checked below, once the push is in.
    assert.match(await status(), /^Saved: Risky avatar, with (the uploaded|no) avatar\.$/);
    // The watcher puts WeChat's own push in the trace once it was delivered.
    const row = await page.waitForSelector('#trace .row.push:has-text("wxa_media_check")');
    const text = (await row.textContent()) ?? '';
    assert.match(text, /"suggest": "risky"/);
    assert.match(text, /attempt \d: 200 success/);
    await tap('#me');
    const me = await page.$$eval('#trace .row.request .outcome', (rows) => rows.at(-1)?.textContent ?? '');
    assert.match(me, /"avatarUrl": null/);
  });

  it('a push sent the moment the page opened is news, not history: it joins the trace', async () => {
    // The watcher used to take whatever its first tick found for history; a tick falls a second
    // after the page opens, so a push delivered before it never showed. Here the push comes from
    // outside the page (the emulator's control API, as WeChat's settings would), once the page
    // knows its history and well within that first second.
    await page.reload();
    await page.waitForSelector('#wechat-settings[data-watching="true"]');
    const started = await fetch(`${emulator}/__emulator/user-actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: 'wxdeadbeefcafe0001', user: 'alice', action: 'profile' }),
    });
    assert.equal(started.status, 202);
    const { deliveries } = (await started.json()) as { deliveries: { id: number }[] };
    assert.equal(deliveries.length, 1);
    const row = await page.waitForSelector('#trace .row.push:has-text("user_authorization_revoke (RevokeInfo 6)")');
    assert.match((await row.textContent()) ?? '', /attempt \d: 200 success/);
    // What was there before the reload stays history: one row, not every earlier push again.
    assert.equal((await pushes()).length, 1);
  });

  it('speaks Chinese when switched', async () => {
    await page.click('#language-switch [data-language="zh"]');
    assert.equal(await page.locator('#revoke-phone').textContent(), '撤回手机号授权');
    assert.equal(await page.locator('#legend-push').textContent(), '微信 → 我们的服务端（推送）');
    await page.click('#language-switch [data-language="en"]');
  });
});
