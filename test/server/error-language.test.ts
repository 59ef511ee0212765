import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { preferredLanguage } from '../../src/server/accept-language.ts';
import { API_ERRORS, ApiError } from '../../src/server/errors.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { APPID, APPID2, type Stack, startStack } from './stack.ts';

/** Issue 14: error messages in Chinese when the client prefers it, codes unchanged. */

const CJK = /[\u4e00-\u9fff]/;

describe('the error catalogue in Chinese', () => {
  it('has a Chinese message for every code, not a copy of the English one', () => {
    for (const [code, entry] of Object.entries(API_ERRORS)) {
      const zh = (entry as { zh?: unknown }).zh;
      assert.equal(typeof zh, 'string', `${code} has no Chinese message (zh)`);
      assert.match(zh as string, CJK, `${code}: "${String(zh)}" is not Chinese`);
      assert.notEqual(zh, entry.message, code);
    }
  });

  it('answers an English-only custom message with the Chinese of its code', () => {
    const err = new ApiError('NOT_FOUND', 'No such thing here.');
    assert.equal(err.messageIn('en'), 'No such thing here.');
    assert.equal(err.messageIn('zh'), API_ERRORS.NOT_FOUND.zh);
    const both = new ApiError('NOT_FOUND', { en: 'No x.', zh: '没有 x。' });
    assert.deepEqual([both.message, both.messageIn('zh')], ['No x.', '没有 x。']);
  });
});

describe('Accept-Language', () => {
  const pick = (header?: string) => preferredLanguage(header === undefined ? {} : { 'accept-language': header });

  it('chooses Chinese for every zh tag and English for anything else', () => {
    for (const header of ['zh', 'zh-CN', 'zh-Hans', 'zh-TW', 'zh-HK', 'zh-Hans-CN', 'ZH-cn', 'fr, zh;q=0.5']) {
      assert.equal(pick(header), 'zh', header);
    }
    for (const header of [undefined, '', 'en', 'en-US', 'fr', 'ja, ko', '*', 'zh;q=0', 'zh-CN;q=0, fr', ';;,,q=']) {
      assert.equal(pick(header), 'en', String(header));
    }
  });

  it('honours q-values: the more wanted of English and Chinese wins', () => {
    assert.equal(pick('en;q=0.5, zh-CN'), 'zh');
    assert.equal(pick('zh-CN;q=0.1, en'), 'en');
    assert.equal(pick('en-US,en;q=0.9,zh-CN;q=0.8'), 'en');
    assert.equal(pick('fr;q=1, zh-TW;q=0.7, en;q=0.6'), 'zh');
  });

  it('property: with distinct weights, Chinese exactly when a zh tag outweighs every en tag', () => {
    const tag = fc.constantFrom('zh', 'zh-CN', 'zh-TW', 'zh-Hans', 'en', 'en-GB', 'fr', 'ja', 'de-DE');
    const entries = fc.uniqueArray(fc.tuple(tag, fc.integer({ min: 1, max: 1000 })), {
      selector: ([, q]) => q,
      maxLength: 6,
    });
    fc.assert(
      fc.property(entries, (list) => {
        const header = list.map(([t, q]) => `${t};q=${(q / 1000).toFixed(3)}`).join(', ');
        // negotiator's rule: the exact tag's weight when the header has it, else its best subtag's.
        const best = (lang: string) => {
          const weights = (match: (t: string) => boolean) => list.filter(([t]) => match(t)).map(([, q]) => q);
          const exact = weights((t) => t === lang);
          return Math.max(0, ...(exact.length > 0 ? exact : weights((t) => t.startsWith(`${lang}-`))));
        };
        const expected = best('zh') > best('en') ? 'zh' : 'en';
        assert.equal(pick(header), expected, header);
      }),
      { numRuns: 500 },
    );
  });

  it('property: any header string gives a language and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        assert.ok(['en', 'zh'].includes(pick(header)));
      }),
    );
  });
});

forEachDialect(
  'error messages by Accept-Language over HTTP',
  (h) => {
    let s: Stack;
    const zh = { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' };

    it('starts the stack', async () => {
      // A push endpoint for the second app only: the first one's is not configured.
      s = h.track(await startStack(h, { env: { WEAPP_PUSH: `${APPID2}:pushtoken` } }));
    });

    it('answers a 404 in Chinese with the path, Content-Language and Vary; the code is unchanged', async () => {
      const res = await s.call('GET', '/v1/nowhere', { headers: zh });
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'NOT_FOUND');
      assert.match(res.body.message, CJK);
      assert.ok(res.body.message.includes('GET /v1/nowhere'), res.body.message);
      assert.equal(res.headers.get('content-language'), 'zh-Hans');
      assert.match(res.headers.get('vary') ?? '', /accept-language/i);
    });

    it('answers in English without the header, for another language, and when English weighs more', async () => {
      const variants: Record<string, string>[] = [
        {},
        { 'accept-language': 'fr-FR' },
        { 'accept-language': 'zh;q=0.2, en;q=0.9' },
      ];
      for (const headers of variants) {
        const res = await s.call('GET', '/v1/nowhere', { headers });
        assert.equal(res.body.code, 'NOT_FOUND');
        assert.equal(res.body.message, 'No route GET /v1/nowhere.');
        assert.equal(res.headers.get('content-language'), 'en');
      }
    });

    it('answers zh-TW and zh-Hans in (simplified) Chinese', async () => {
      for (const tag of ['zh-TW', 'zh-Hans']) {
        const res = await s.call('GET', '/v1/me', { headers: { 'accept-language': tag } });
        assert.equal(res.status, 401);
        assert.equal(res.body.code, 'UNAUTHORIZED');
        assert.equal(res.body.message, API_ERRORS.UNAUTHORIZED.zh);
      }
    });

    it('names the allowed methods of a 405 in Chinese', async () => {
      const res = await s.call('DELETE', '/v1/login', { headers: zh });
      assert.equal(res.status, 405);
      assert.equal(res.body.code, 'METHOD_NOT_ALLOWED');
      assert.match(res.body.message, /POST/);
      assert.match(res.body.message, /不接受 DELETE/);
    });

    it('keeps the field paths of a schema failure in the Chinese message; details stay as they are', async () => {
      const res = await s.call('POST', '/v1/login', { body: { appid: APPID, openid: 'x' }, headers: zh });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'INVALID_REQUEST');
      assert.match(res.body.message, /body\.code 是必填项/);
      assert.match(res.body.message, /body 含有未知字段 "openid"/);
      const english = await s.call('POST', '/v1/login', { body: { appid: APPID, openid: 'x' } });
      assert.deepEqual(res.body.details, english.body.details);
      assert.match(english.body.message, /body\.code is required/);
    });

    it('answers bad JSON and a wrong content type in Chinese', async () => {
      const json = await s.call('POST', '/v1/login', { body: '{"code":', headers: zh });
      assert.equal(json.body.code, 'INVALID_JSON');
      assert.equal(json.body.message, API_ERRORS.INVALID_JSON.zh);
      const type = await s.call('POST', '/v1/login', {
        body: 'code=1',
        headers: { ...zh, 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(type.body.code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(type.body.message, CJK);
    });

    it('answers a WeChat refusal (an invalid login code) in Chinese', async () => {
      const res = await s.call('POST', '/v1/login', { body: { appid: APPID, code: 'not-a-real-code' }, headers: zh });
      assert.equal(res.body.code, 'INVALID_CODE');
      assert.equal(res.body.message, API_ERRORS.INVALID_CODE.zh);
    });

    it('says in Chinese why "微信用户" is refused as a nickname, and where an upload must go', async () => {
      const { accessToken } = (await s.login('nick-zh')).body;
      const res = await s.call('PATCH', '/v1/me', { token: accessToken, body: { nickname: '微信用户' }, headers: zh });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'INVALID_NICKNAME');
      assert.match(res.body.message, /占位昵称/);
      const upload = new FormData();
      upload.append('picture', new Blob([new Uint8Array([1, 2, 3])]), 'a.png');
      const wrong = await fetch(`${s.url}/v1/me/avatar`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, ...zh },
        body: upload,
      });
      const body = (await wrong.json()) as { code: string; message: string };
      assert.equal(body.code, 'INVALID_REQUEST');
      assert.match(body.message, /图片必须放在字段 "file"/);
    });

    it('answers a missing avatar and an unconfigured push endpoint in Chinese', async () => {
      const avatar = await s.call('GET', `/media/avatars/${'a'.repeat(64)}.png`, { headers: zh });
      assert.equal(avatar.status, 404);
      assert.match(avatar.body.message, CJK);
      const push = await s.call('POST', `/wechat/push/${APPID}`, { body: {}, headers: zh });
      assert.equal(push.status, 404);
      assert.equal(push.body.code, 'NOT_FOUND');
      assert.match(push.body.message, /WEAPP_PUSH/);
      assert.match(push.body.message, CJK);
    });

    it('answers the rate limit in Chinese with the seconds to wait', async () => {
      const limited = h.track(await startStack(h, { env: { LOGIN_RATE_LIMIT: '1' }, emulator: s.emulator }));
      let res: Awaited<ReturnType<Stack['call']>> | undefined;
      for (let i = 0; i < 5 && res?.status !== 429; i += 1) {
        res = await limited.call('POST', '/v1/login', { body: { appid: APPID, code: `c${i}` }, headers: zh });
      }
      assert.equal(res?.status, 429);
      assert.equal(res?.body.code, 'RATE_LIMITED');
      assert.match(res?.body.message ?? '', /请在 \d+ 秒后重试/);
      assert.equal(res?.headers.get('content-language'), 'zh-Hans');
    });

    it('answers bytes that are not HTTP in English (no header was read), saying so in Content-Language', async () => {
      const exchange = await rawExchange(Number(new URL(s.url).port), ['NOT HTTP AT ALL\r\n\r\n'], {
        halfClose: true,
      });
      const [answer] = exchange.answers;
      assert.equal(answer?.status, 400);
      assert.equal(answer?.headers['content-language'], 'en');
      assert.equal((JSON.parse(answer?.body ?? '{}') as { code?: string }).code, 'INVALID_REQUEST');
    });
  },
  { only: ['sqlite'] },
);
