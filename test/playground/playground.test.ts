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

/** `npm start` as a user runs it, then the playground in Debian's chromium, clicked like a person would. */
describe('playground in a real browser', { skip: skipWithoutChromium }, () => {
  let dev: DevProcess | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;
  let playground = '';
  let emulator = '';

  before(async () => {
    await buildPlaygroundOnce();
    dev = await startDevProcess(['playground', 'emulator']);
    ({ playground = '', emulator = '' } = dev.urls);
    browser = await launchChromiumProfile(join(dev.dir, 'chromium-profile'));
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  after(async () => {
    await browser?.close();
    dev?.stop();
  });

  const status = () => phoneStatus(page);
  const tap = (selector: string) => tapPhone(page, selector);
  const trace = async () => (await page.locator('#trace').textContent()) ?? '';

  interface EmulatorProfile {
    nickName: string;
    purePhoneNumber: string;
    countryCode: string;
  }

  async function profileOf(user: string): Promise<EmulatorProfile> {
    const res = await fetch(`${emulator}/__emulator/users/${user}`);
    return ((await res.json()) as { profile: EmulatorProfile }).profile;
  }

  /** The stored tokens of the phone's SDK. */
  async function storedTokens(): Promise<Record<string, string>> {
    return page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.endsWith(':tokens'));
      return key ? (JSON.parse(localStorage.getItem(key) ?? '{}') as { value: Record<string, string> }).value : {};
    });
  }

  /** The trace's requests to our server, each with the WeChat calls our server made for it. */
  async function tracedRequests(): Promise<{ title: string; wechat: string[] }[]> {
    return page.$$eval('#trace .row.request', (rows) =>
      rows.map((row) => ({
        title: row.querySelector('.title')?.textContent ?? '',
        wechat: [...row.querySelectorAll('li.wechat')].map((li) => li.textContent ?? ''),
      })),
    );
  }

  it('serves the page, which starts logged out', async () => {
    await page.goto(playground);
    await page.waitForSelector('#phone[data-ready="true"]');
    assert.equal(await page.locator('#nickname').textContent(), 'Not logged in');
  });

  it("the first login asks for privacy consent in the app's popup: disagreed, then agreed", async () => {
    await page.click('#login');
    await page.waitForSelector('#privacy-popup:not([hidden])');
    assert.equal(await page.locator('#privacy-referrer').textContent(), 'requirePrivacyAuthorize');
    await page.click('#privacy-disagree');
    await page.waitForSelector('#phone[data-busy="false"]');
    assert.match(await status(), /PRIVACY_NOT_AUTHORIZED/);
    await page.click('#login');
    await page.waitForSelector('#privacy-popup:not([hidden])');
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results/playground-privacy.png') });
    await page.click('#privacy-agree');
    await page.waitForSelector('#phone[data-busy="false"]');
    assert.match(await status(), /^Logged in as /);
    const text = await trace();
    for (const step of [
      'wx.getPrivacySetting(',
      'wx.requirePrivacyAuthorize(',
      'privacy: requirePrivacyAuthorize waits for consent',
      'tap: 拒绝',
      'privacy permission is not authorized',
      'agreePrivacyAuthorization',
    ]) {
      assert.ok(text.includes(step), `the trace lacks ${step}`);
    }
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
    const stored = await storedTokens();
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

  it('the profile: an avatar and a nickname saved, then the phone number bound, shown masked', async () => {
    await page.click('#clear-trace');
    await page.click('#choose-avatar');
    await page.waitForSelector('#avatar-sheet:not([hidden]) .sample .picture img');
    await tap('#avatar-sheet .sample[data-sample="1"]');
    assert.match(await status(), /^Picked "Leaf" \(\d+ bytes, a temporary file on the phone\)/);
    assert.equal(await page.locator('#avatar-thumb').getAttribute('data-pending'), 'true');

    await page.fill('#nickname-input', 'Ann from the playground');
    await tap('#save');
    assert.match(await status(), /^Saved: Ann from the playground, with the uploaded avatar\.$/);
    assert.equal(await page.locator('#nickname').textContent(), 'Ann from the playground');
    // The avatar shown is the file our server stored and serves, not the phone's temporary copy.
    const avatar = await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#avatar img');
      return img?.src.includes('/media/avatars/') && img.naturalWidth > 0 ? img.src : false;
    });
    const src = String(await avatar.jsonValue());
    assert.ok(src.startsWith(`${new URL(playground).origin}/media/avatars/`), src);
    assert.equal(await page.locator('#avatar-thumb').getAttribute('data-pending'), 'false');

    // Refused at the button: the SDK sends nothing.
    await page.click('.switch');
    await tap('#bind-phone');
    assert.match(await status(), /declined to share the phone number \(PHONE_DENIED\)/);
    assert.match(await trace(), /the user denies "phoneNumber" \(getPhoneNumber\)/);
    assert.ok(!(await tracedRequests()).some((r) => r.title === '→ POST /v1/me/phone'));
    assert.equal(await page.locator('#phone-number').textContent(), 'not bound');

    await page.click('.switch');
    await tap('#bind-phone');
    const { purePhoneNumber, countryCode } = await profileOf('alice');
    const masked = `+${countryCode} ${'*'.repeat(purePhoneNumber.length - 4)}${purePhoneNumber.slice(-4)}`;
    assert.equal(await status(), `Phone number bound: ${masked}.`);
    assert.equal(await page.locator('#phone-number').textContent(), masked);

    const requests = await tracedRequests();
    const titles = requests.map((r) => r.title);
    for (const title of ['→ POST /v1/me/avatar (wx.uploadFile)', '→ POST /v1/me', '→ POST /v1/me/phone']) {
      assert.ok(titles.includes(title), `the trace lacks ${title}: ${titles.join(' | ')}`);
    }
    // dev checks the nickname with msg_sec_check (CONTENT_CHECK on against the emulator); the app's
    // access token both need was fetched by whichever came first, so it is not asserted here.
    const nicknameCalls = requests.find((r) => r.title === '→ POST /v1/me')?.wechat.join('\n') ?? '';
    assert.match(nicknameCalls, /our server → WeChat: POST \/wxa\/msg_sec_check \(user alice\) ⇒ errcode 0/);
    const phoneCalls = requests.find((r) => r.title === '→ POST /v1/me/phone')?.wechat.join('\n') ?? '';
    assert.match(
      phoneCalls,
      /our server → WeChat: POST \/wxa\/business\/getuserphonenumber \(user alice\) ⇒ errcode 0/,
    );
    const text = await trace();
    assert.match(text, /<button open-type="chooseAvatar"> → bindchooseavatar/);
    assert.match(text, /the user allows "phoneNumber" \(getPhoneNumber\)/);
    assert.match(text, /"nickname": "Ann from the playground"/);
    assert.match(text, new RegExp(`"phoneNumber": "\\*+${purePhoneNumber.slice(-4)}"`));

    const stored = await storedTokens();
    for (const secret of [stored.accessToken, stored.refreshToken]) {
      assert.ok(secret && !text.includes(secret), 'a token reached the trace unmasked');
    }
    assert.ok(!(await page.locator('body').textContent())?.includes(purePhoneNumber), 'the phone number shows in full');

    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results/playground-profile.png') });
  });
});
