import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.ts';
import { type DevProcess, startDevProcess } from '../helpers/dev-process.ts';
import { buildPlaygroundOnce } from '../helpers/playground-build.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Issue 14: the playground in Chinese when the browser prefers it, a switch that a reload keeps,
 * and Chinese that renders (a CJK font, installed by .ci/run) in the screenshot.
 */
describe('playground languages in a real browser', { skip: skipWithoutChromium }, () => {
  let dev: DevProcess | undefined;
  let browser: Browser | undefined;
  let playground = '';

  before(async () => {
    await buildPlaygroundOnce();
    dev = await startDevProcess(['playground', 'emulator']);
    playground = dev.urls.playground ?? '';
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await dev?.stop();
  });

  async function open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    await page.goto(playground);
    await page.waitForSelector('#phone[data-ready="true"]');
    return page;
  }

  const text = async (page: Page, selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();

  it('speaks Chinese to a browser that prefers it, and the Chinese renders (not empty boxes)', async () => {
    const context = await browser!.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 880 } });
    const page = await open(context);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    assert.equal(await text(page, 'h1'), 'weapp-auth 演练场');
    assert.equal(await text(page, '#login'), '微信登录');
    assert.equal(await text(page, '#save'), '保存');
    assert.equal(await page.locator('#nickname-input').getAttribute('placeholder'), '请输入昵称');
    assert.equal(
      await page.locator('#language-switch button[aria-pressed="true"]').getAttribute('data-language'),
      'zh',
    );
    // With no CJK font, chromium draws every Chinese character as the same empty box: two different
    // characters drawn on a canvas come out identical.
    // A string, not a function: tsx would wrap the inner function in a helper the page lacks.
    const distinct = await page.evaluate(`(() => {
      const draw = (ch) => {
        const canvas = document.createElement('canvas');
        canvas.width = 40;
        canvas.height = 40;
        const ctx = canvas.getContext('2d');
        ctx.font = '32px sans-serif';
        ctx.fillText(ch, 2, 32);
        return canvas.toDataURL();
      };
      return draw('微') !== draw('信');
    })()`);
    assert.ok(distinct, 'Chinese characters render as identical boxes: install a CJK font (fonts-noto-cjk)');
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results/playground-zh.png') });
    await context.close();
  });

  it('switches to English with the switch, and a reload keeps the choice', async () => {
    const context = await browser!.newContext({ locale: 'zh-CN' });
    const page = await open(context);
    await page.click('#language-switch button[data-language="en"]');
    assert.equal(await text(page, '#login'), 'Log in with WeChat');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.reload();
    await page.waitForSelector('#phone[data-ready="true"]');
    assert.equal(await text(page, '#login'), 'Log in with WeChat');
    assert.equal(await text(page, 'h1'), 'weapp-auth playground');
    await page.click('#language-switch button[data-language="zh"]');
    assert.equal(await text(page, '#login'), '微信登录');
    await context.close();
  });

  /** Taps a button of the phone and waits for its work; agrees to the privacy popup on the way. */
  async function tap(page: Page, selector: string): Promise<void> {
    await page.click(selector);
    await page.waitForSelector('#phone[data-busy="false"], #privacy-popup:not([hidden])');
    if (await page.locator('#privacy-popup').isVisible()) {
      await page.click('#privacy-agree');
      await page.waitForSelector('#phone[data-busy="false"]');
    }
  }

  it('plays the profile in Chinese: server refusals in Chinese, the placeholder nickname explained, the typed nickname kept', async () => {
    const context = await browser!.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 880 } });
    // Offline: the page loads nothing from the internet (the emulator serves the avatars).
    const hosts = new Set<string>();
    context.on('request', (request) => {
      const url = new URL(request.url());
      // blob: and data: URLs are the page's own pictures.
      if (url.protocol === 'http:' || url.protocol === 'https:') hosts.add(url.hostname);
    });
    const page = await open(context);
    await tap(page, '#login');
    assert.match(await text(page, '#status'), /^已登录为 /);
    await page.waitForSelector('#avatar img');
    assert.match((await page.locator('#avatar img').getAttribute('src')) ?? '', /^http:\/\/127\.0\.0\.1:\d+\/mmopen\//);
    // "微信用户" is not sent by the SDK: the page says so instead of "Saved".
    await page.fill('#nickname-input', '微信用户');
    await tap(page, '#save');
    assert.match(await text(page, '#status'), /^未保存：“微信用户”是微信给未提供昵称的用户的占位昵称/);
    assert.equal(await page.locator('#status').getAttribute('data-kind'), 'error');
    // dev checks nicknames with the emulator's msg_sec_check; the SDK asked for Chinese.
    await page.fill('#nickname-input', 'a risky-word');
    await tap(page, '#save');
    assert.match(await text(page, '#status'), /^CONTENT_RISKY: 微信内容安全检测未通过这个昵称/);
    await page.fill('#nickname-input', '小明');
    await tap(page, '#save');
    assert.match(await text(page, '#status'), /^已保存：小明/);
    // The tutorial's login again (wx.login + getUserInfo's legacy data): the typed nickname stays.
    await tap(page, '#login');
    assert.equal(await text(page, '#nickname'), '小明');
    // Removed from the phone and authorization refused: the server still has the profile, which
    // the status must not call "empty".
    await page.click('#reset');
    await page.waitForFunction(() => document.querySelector('#nickname')?.textContent === '未登录');
    await page.click('.switch');
    await tap(page, '#login');
    assert.match(await text(page, '#status'), /资料保持不变（AUTH_DENIED）/);
    await page.click('.switch');
    // After a reload, a request that makes no WeChat call lists none under it.
    await page.reload();
    await page.waitForSelector('#phone[data-ready="true"]');
    await tap(page, '#me');
    const meRow = page.locator('#trace li.request', { hasText: 'GET /v1/me' }).last();
    assert.equal(await meRow.locator('ol.wechat li').count(), 0, (await meRow.textContent()) ?? '');
    assert.deepEqual([...hosts], ['127.0.0.1']);
    await context.close();
  });

  it('fits a 390 px wide phone window without sideways scrolling, logged in', async () => {
    const context = await browser!.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 } });
    const page = await open(context);
    await tap(page, '#login');
    const widths = await page.evaluate(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
    );
    const { scroll, client } = widths as { scroll: number; client: number };
    assert.ok(scroll <= client, `the page is ${scroll} px wide in a ${client} px window`);
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results/playground-390.png'), fullPage: true });
    await context.close();
  });

  it('speaks English to a browser that prefers another language', async () => {
    const context = await browser!.newContext({ locale: 'fr-FR' });
    const page = await open(context);
    assert.equal(await text(page, '#login'), 'Log in with WeChat');
    assert.equal(
      await page.locator('#language-switch button[aria-pressed="true"]').getAttribute('data-language'),
      'en',
    );
    await context.close();
  });
});
