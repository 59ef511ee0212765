import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.ts';
import { type DevProcess, startDevProcess } from '../helpers/dev-process.ts';
import { buildPlaygroundOnce } from '../helpers/playground-build.ts';
import { phoneStatus, tapPhone } from './phone-page.ts';

const DAY_MS = 86_400_000;

/** The playground's settings-page panel in chromium: export my data, delete my account, and a login that cancels it. */
describe('playground: export my data, delete my account', { skip: skipWithoutChromium }, () => {
  let dev: DevProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    await buildPlaygroundOnce();
    dev = await startDevProcess(['playground'], { env: { PORT: '0', DELETION_COOLING_OFF_DAYS: '7' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 880 }, locale: 'en-US' });
    await page.goto(dev.urls.playground ?? '');
    await page.waitForSelector('#phone[data-ready="true"]');
  });

  after(async () => {
    await browser?.close();
    await dev?.stop();
  });

  const status = () => phoneStatus(page);
  const tap = (selector: string) => tapPhone(page, selector);
  const requests = () => page.$$eval('#trace .row.request', (rows) => rows.map((r) => r.textContent ?? ''));
  const traceText = async () => (await page.locator('#trace').textContent()) ?? '';

  it('export my data: GET /v1/me/export in the trace, what it holds in the status', async () => {
    await tap('#login');
    assert.match(await status(), /^Logged in as /);
    await tap('#export-data');
    assert.match(await status(), /^Exported: 1 identity\(ies\), 1 session\(s\), \d+ security event\(s\)/);
    const exported = (await requests()).find((r) => r.includes('GET /v1/me/export'));
    assert.ok(exported, 'the export request is in the trace');
    assert.match(exported, /← 200 /);
    assert.match(exported, /"securityEvents"/);
  });

  it('delete my account: the confirm modal, DELETE /v1/me, the purge date; a login before it cancels the deletion', async () => {
    await tap('#delete-account');
    const trace = await traceText();
    assert.match(trace, /modal "注销账号": the user taps 确认注销/);
    const deletion = (await requests()).find((r) => r.includes('DELETE /v1/me'));
    assert.match(deletion ?? '', /← 200 \{"status": "scheduled"/);
    const purgeAt = Number(/"purgeAt": (\d+)/.exec(deletion ?? '')?.[1]);
    const requestedAt = Number(/"requestedAt": (\d+)/.exec(deletion ?? '')?.[1]);
    assert.equal(purgeAt - requestedAt, 7 * DAY_MS);
    const date = new Date(purgeAt).toLocaleDateString('en-GB', { year: 'numeric', month: 'long', day: 'numeric' });
    assert.equal(
      await status(),
      `Deletion scheduled: the account is purged on ${date}. Logging in before then cancels it.`,
    );
    assert.equal(await page.locator('#phone').getAttribute('data-logged-in'), 'false');

    await tap('#login');
    assert.match(await status(), /^Logged in as /);
    await tap('#export-data');
    const exports = (await requests()).filter((r) => r.includes('GET /v1/me/export'));
    assert.match(exports.at(-1) ?? '', /deletion\.cancelled/, 'the login cancelled the deletion');
  });

  it('in Chinese: the panel and its answers follow the language switch', async () => {
    await page.click('#language-switch [data-language="zh"]');
    assert.equal(await page.locator('#export-data').textContent(), '导出我的数据');
    assert.equal(await page.locator('#delete-account').textContent(), '注销账号');
    await tap('#export-data');
    assert.match(await status(), /^已导出：1 个身份、\d+ 个会话、\d+ 条安全记录/);
  });
});
