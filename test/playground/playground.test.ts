import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type DevProcess, startDevProcess } from '../helpers/dev-process.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCI = Boolean(process.env.CI);
const missing = existsSync(CHROMIUM)
  ? undefined
  : `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); the browser test is skipped`;

/** `npm start` as a user runs it, then the playground in Debian's chromium, clicked like a person would. */
describe('playground in a real browser', { skip: missing !== undefined && !inCI ? missing : false }, () => {
  let dev: DevProcess | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;
  let playground = '';
  let emulator = '';

  before(async () => {
    if (missing) throw new Error(`${missing} — CI is set, so this fails instead of skipping`);
    const build = spawnSync(process.execPath, [join(root, 'scripts/build-miniprogram.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, build.stdout + build.stderr);
    dev = await startDevProcess(['playground', 'emulator']);
    ({ playground = '', emulator = '' } = dev.urls);
    browser = await chromium.launchPersistentContext(join(dev.dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 880 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  after(async () => {
    await browser?.close();
    dev?.stop();
  });

  const status = async () => (await page.locator('#status').textContent()) ?? '';
  const trace = async () => (await page.locator('#trace').textContent()) ?? '';

  /** Taps a button of the phone and waits until its work, and the trace, are done. */
  async function tap(selector: string): Promise<void> {
    await page.click(selector);
    await page.waitForSelector('#phone[data-busy="false"]');
  }

  async function profileOf(user: string): Promise<{ nickName: string }> {
    const res = await fetch(`${emulator}/__emulator/users/${user}`);
    return ((await res.json()) as { profile: { nickName: string } }).profile;
  }

  it('serves the page, which starts logged out', async () => {
    await page.goto(playground);
    await page.waitForSelector('#phone[data-ready="true"]');
    assert.equal(await page.locator('#nickname').textContent(), 'Not logged in');
  });

  it('login shows the nickname, and the trace shows the whole flow with secrets masked', async () => {
    await tap('#login');
    assert.match(await status(), /^Logged in as /);
    const { nickName } = await profileOf('alice');
    assert.equal(await page.locator('#nickname').textContent(), nickName);
    const text = await trace();
    for (const step of [
      'wx.login()',
      'POST /v1/login',
      'our server → WeChat: GET /sns/jscode2session (user alice) ⇒ errcode 0',
      'wx.getSetting()',
      'wx.checkSession()',
      'wx.getUserInfo(',
      'the user allows "scope.userInfo"',
      'POST /v1/me/userinfo',
      '← 200',
    ]) {
      assert.ok(text.includes(step), `the trace lacks ${step}`);
    }
    const stored = await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.endsWith(':tokens'));
      return key ? (JSON.parse(localStorage.getItem(key) ?? '{}') as { value: Record<string, string> }).value : {};
    });
    assert.match(stored.accessToken ?? '', /^eyJ/);
    for (const secret of [stored.accessToken, stored.refreshToken]) {
      assert.ok(secret && !text.includes(secret), 'a token reached the trace unmasked');
    }
    assert.match(text, /"code": "\w{6}…\(32\)"/);
  });

  it('a reload is a restart: the session comes back from storage without wx.login', async () => {
    const nickname = await page.locator('#nickname').textContent();
    await page.reload();
    await page.waitForSelector('#phone[data-ready="true"]');
    assert.equal(await page.locator('#nickname').textContent(), nickname);
    assert.match(await trace(), /restarted with the tokens in storage/);
    await tap('#me');
    assert.match(await status(), /GET \/v1\/me answered/);
    assert.ok(!(await trace()).includes('wx.login()'));
  });

  it('the user denies, then grants in the settings', async () => {
    await page.click('#reset');
    await page.waitForFunction(() => document.querySelector('#nickname')?.textContent === 'Not logged in');
    await page.click('.switch');
    assert.equal(await page.locator('#deny').isChecked(), true);
    await tap('#login');
    assert.match(await status(), /Authorization denied/);
    assert.match(await trace(), /the user denies "scope.userInfo"/);
    assert.match(await trace(), /modal "Authorization needed": the user taps Open/);

    await page.click('.switch');
    await tap('#login');
    assert.match(await status(), /^Logged in as /);
    assert.equal(await page.locator('#nickname').textContent(), (await profileOf('alice')).nickName);
    assert.match(await trace(), /settings page: the user leaves \{"scope.userInfo": true\}/);

    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results/playground.png') });
  });
});
