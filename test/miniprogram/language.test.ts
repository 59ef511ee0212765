import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createAuth, isAuthError, languageTag, type WxApi } from '../../packages/miniprogram/src/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { type Stack, startStack } from '../server/stack.ts';
import { type Phone, phone } from './phone.ts';

/** Issue 14: the SDK sends the mini program's language, so the server's messages follow it. */

describe('languageTag', () => {
  it("maps WeChat's language values to BCP 47 tags", () => {
    for (const [wechat, tag] of [
      ['zh_CN', 'zh-CN'],
      ['zh_HK', 'zh-HK'],
      ['zh_TW', 'zh-TW'],
      ['en', 'en'],
      ['zh-Hans', 'zh-Hans'],
    ]) {
      assert.equal(languageTag(wechat), tag);
    }
    for (const odd of ['', 'zh CN', 'zh_CN\r\nX-Evil: 1', '中文', 'x', 42, undefined, null]) {
      assert.equal(languageTag(odd), undefined, String(odd));
    }
  });

  it('property: whatever WeChat reports, a header value never carries more than a tag', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        const tag = languageTag(value);
        if (tag !== undefined) assert.match(tag, /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/);
      }),
    );
  });
});

/** The Accept-Language of each wx.request and wx.uploadFile the SDK made, oldest first. */
function sentLanguages(p: Phone): (string | undefined)[] {
  return p.wx.log
    .filter((e) => (e.api === 'request' || e.api === 'uploadFile') && e.phase === 'call')
    .map((e) => (e.detail.header as Record<string, string> | undefined)?.['Accept-Language']);
}

/** The error a request for a route that does not exist gets. */
async function missingRoute(p: Phone): Promise<{ code: string; message: string }> {
  try {
    await p.auth.request({ url: '/v1/nowhere', auth: false });
  } catch (err) {
    if (isAuthError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('/v1/nowhere answered');
}

forEachDialect(
  'mini program SDK: Accept-Language',
  (h) => {
    let s: Stack;
    before(async () => {
      s = h.track(await startStack(h));
    });

    it("sends the phone's language (zh_CN → zh-CN) and gets Chinese messages, codes unchanged", async () => {
      const p = phone(s, 'lang-zh', { wx: { language: 'zh_CN' } });
      await p.auth.login();
      const refused = await p.auth
        .request({ url: '/v1/me', method: 'POST', data: { nickname: '微信用户' } })
        .catch((err: unknown) => err);
      assert.ok(isAuthError(refused));
      assert.equal(refused.code, 'INVALID_NICKNAME');
      assert.match(refused.message, /占位昵称/);
      const missing = await missingRoute(p);
      assert.equal(missing.code, 'NOT_FOUND');
      assert.match(missing.message, /没有 GET \/v1\/nowhere/);
      // The avatar upload (wx.uploadFile) too.
      p.wx.files.set('wxfile://tmp_not_an_image.png', new TextEncoder().encode('not an image'));
      const upload = await p.auth
        .updateProfile({ avatarFilePath: 'wxfile://tmp_not_an_image.png' })
        .catch((err: unknown) => err);
      assert.ok(isAuthError(upload));
      assert.equal(upload.code, 'UNSUPPORTED_IMAGE_TYPE');
      assert.match(upload.message, /不是 PNG、JPEG、WebP 或 GIF 图片/);
      const languages = sentLanguages(p);
      assert.ok(languages.length >= 4);
      assert.deepEqual(new Set(languages), new Set(['zh-CN']));
    });

    it('answers in English to a phone set to English', async () => {
      const p = phone(s, 'lang-en', { wx: { language: 'en' } });
      assert.equal((await missingRoute(p)).message, 'No route GET /v1/nowhere.');
      assert.deepEqual(sentLanguages(p), ['en']);
    });

    it('takes the language option over the phone: a tag, a function asked per request, or none', async () => {
      const fixed = phone(s, 'lang-fixed', { wx: { language: 'zh_CN' }, auth: { language: 'en-US' } });
      assert.equal((await missingRoute(fixed)).message, 'No route GET /v1/nowhere.');
      assert.deepEqual(sentLanguages(fixed), ['en-US']);

      let chosen = 'en';
      const switching = phone(s, 'lang-switch', { auth: { language: () => chosen } });
      assert.match((await missingRoute(switching)).message, /^No route/);
      chosen = 'zh_TW';
      assert.match((await missingRoute(switching)).message, /没有 GET/);
      assert.deepEqual(sentLanguages(switching), ['en', 'zh-TW']);

      const none = phone(s, 'lang-none', { wx: { language: 'zh_CN' }, auth: { language: false } });
      assert.match((await missingRoute(none)).message, /^No route/);
      assert.deepEqual(sentLanguages(none), [undefined]);
    });

    it("lets a request's own Accept-Language win", async () => {
      const p = phone(s, 'lang-own', { wx: { language: 'en' } });
      const err = await p.auth
        .request({ url: '/v1/nowhere', auth: false, header: { 'accept-language': 'zh-CN' } })
        .catch((e: unknown) => e);
      assert.ok(isAuthError(err));
      assert.equal(err.code, 'NOT_FOUND');
      assert.match(err.message, /没有 GET/);
    });

    it('falls back to wx.getSystemInfoSync on base libraries without getAppBaseInfo', async () => {
      const p = phone(s, 'lang-old', { wx: { language: 'en' } });
      // An older WeChat: the stand-in's APIs, minus getAppBaseInfo, plus getSystemInfoSync.
      const old = Object.create(p.wx) as WxApi & { getAppBaseInfo?: unknown };
      Object.defineProperty(old, 'getAppBaseInfo', { value: undefined });
      old.getSystemInfoSync = () => ({ language: 'zh_HK' });
      const auth = createAuth({ baseUrl: s.url, wx: old });
      const err = await auth.request({ url: '/v1/nowhere', auth: false }).catch((e: unknown) => e);
      assert.ok(isAuthError(err));
      assert.match(err.message, /没有 GET/);
      assert.equal(sentLanguages(p).at(-1), 'zh-HK');
    });
  },
  { only: ['sqlite'] },
);
