import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.ts';
import { createWxStandIn, MemoryStorage, scriptedUser, type WxStandIn } from '../../src/stand-in/index.ts';

const APPID = 'wx4f4bc4dec97d474b';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A plain HTTP server that records what arrived and answers by path. */
async function startEcho(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += String(d);
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/hang')) return; // never answers
      if (req.url?.startsWith('/missing')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"NOT_FOUND","message":"no"}');
        return;
      }
      if (req.url?.startsWith('/text')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'a=1' }).end('plain {not json');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('the wx stand-in', () => {
  let emulator: RunningEmulator;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  const phone = (name: string, extra: Partial<Parameters<typeof createWxStandIn>[0]> = {}): WxStandIn =>
    createWxStandIn({ emulatorUrl: emulator.url, appid: APPID, user: name, ...extra });

  before(async () => {
    emulator = await startEmulator({ apps: [{ appid: APPID, secret: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' }] });
    echo = await startEcho();
  });
  after(async () => {
    echo.server.closeAllConnections();
    echo.server.close();
    await emulator.close();
  });

  describe('the callback / promise convention', () => {
    it('answers a promise without callbacks, and nothing (but the callbacks) with them', async () => {
      const wx = phone('conv-ann');
      const result = (await wx.login()) as { code: string; errMsg: string };
      assert.equal(result.errMsg, 'login:ok');
      assert.match(result.code, /^[0-9A-Za-z]{32}$/);
      const order: string[] = [];
      const done = new Promise<void>((resolve) => {
        const returned = wx.login({
          success: (r) => order.push(`success ${r.errMsg}`),
          complete: () => {
            order.push('complete');
            resolve();
          },
        });
        assert.equal(returned, undefined);
      });
      await done;
      assert.deepEqual(order, ['success login:ok', 'complete']);
    });

    it('fails with WeChat errMsg: rejected promise, or fail then complete', async () => {
      const wx = phone('conv-ben');
      await assert.rejects(wx.checkSession(), { errMsg: 'checkSession:fail session time out, need relogin' });
      await wx.login();
      await wx.checkSession();
      const order: string[] = [];
      await new Promise<void>((resolve) => {
        wx.getUserProfile({
          desc: 'x',
          fail: (e) => order.push(e.errMsg),
          complete: () => resolve(),
        });
      });
      assert.deepEqual(order, ['getUserProfile:fail can only be invoked by user TAP gesture.']);
    });
  });

  describe('wx.request', () => {
    it('GET data becomes the query; WeChat sets the Referer; the app cannot', async () => {
      const wx = phone('req-ann');
      await new Promise<void>((resolve, reject) =>
        wx.request({
          url: `${echo.url}/q`,
          data: { a: 'x y', b: 2 },
          header: { Referer: 'https://evil.example/' },
          success: () => resolve(),
          fail: reject,
        }),
      );
      const last = echo.seen.at(-1);
      assert.equal(last?.url, '/q?a=x%20y&b=2');
      assert.equal(last?.headers.referer, `https://servicewechat.com/${APPID}/devtools/page-frame.html`);
      assert.equal(last?.headers['content-type'], 'application/json');
    });

    it('POST objects are JSON, or a query string when the app says form-urlencoded', async () => {
      const wx = phone('req-ben');
      const post = (header: Record<string, string>) =>
        new Promise<void>((resolve, reject) =>
          wx.request({
            url: `${echo.url}/p`,
            method: 'POST',
            data: { a: 1, b: 'é' },
            header,
            success: () => resolve(),
            fail: reject,
          }),
        );
      await post({});
      assert.equal(echo.seen.at(-1)?.body, '{"a":1,"b":"é"}');
      await post({ 'Content-Type': 'application/x-www-form-urlencoded' });
      assert.equal(echo.seen.at(-1)?.body, 'a=1&b=%C3%A9');
    });

    it('success fires for every status; JSON parsed when it parses; text otherwise', async () => {
      const wx = phone('req-cat');
      const call = (path: string, extra: Partial<WechatMiniprogram.RequestOption> = {}) =>
        new Promise<WechatMiniprogram.RequestSuccessCallbackResult>((resolve, reject) =>
          wx.request({ url: `${echo.url}${path}`, ...extra, success: resolve, fail: reject }),
        );
      const missing = await call('/missing');
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.data, { code: 'NOT_FOUND', message: 'no' });
      assert.equal(missing.errMsg, 'request:ok');
      const text = await call('/text');
      assert.equal(text.data, 'plain {not json');
      assert.deepEqual(text.cookies, ['a=1']);
      assert.equal((await call('/ok', { dataType: 'text' })).data, '{"ok":true}');
      const buffer = await call('/ok', { responseType: 'arraybuffer' });
      assert.ok(buffer.data instanceof ArrayBuffer);
    });

    it('fails with "request:fail …" only when no answer comes', async () => {
      const wx = phone('req-dee', { allowedOrigins: [echo.url] });
      const fail = (options: Partial<WechatMiniprogram.RequestOption> & { url: string }) =>
        new Promise<string>((resolve, reject) => {
          const task = wx.request({
            ...options,
            success: () => reject(new Error('succeeded')),
            fail: (e) => resolve(e.errMsg),
          });
          if (options.url.endsWith('/hang-abort')) task.abort();
        });
      assert.equal(await fail({ url: 'http://127.0.0.1:9/x' }), 'request:fail url not in domain list');
      assert.equal(await fail({ url: `${echo.url}/hang`, timeout: 50 }), 'request:fail timeout');
      assert.equal(await fail({ url: `${echo.url}/hang-abort` }), 'request:fail abort');
      const open = phone('req-dee');
      const refused = await new Promise<string>((resolve) =>
        open.request({ url: 'http://127.0.0.1:9/x', fail: (e) => resolve(e.errMsg) }),
      );
      assert.match(refused, /^request:fail /);
    });

    it("in a browser, where Referer is not the page's to set, names the app in X-WX-AppId", async () => {
      const wx = phone('req-eva', { identifyApp: 'header' });
      await new Promise<void>((resolve) => wx.request({ url: `${echo.url}/h`, complete: () => resolve() }));
      assert.equal(echo.seen.at(-1)?.headers['x-wx-appid'], APPID);
      assert.equal(echo.seen.at(-1)?.headers.referer, undefined);
    });
  });

  describe('wx.uploadFile', () => {
    const upload = (wx: WxStandIn, options: Omit<WechatMiniprogram.UploadFileOption, 'name'> & { name?: string }) =>
      new Promise<WechatMiniprogram.UploadFileSuccessCallbackResult | string>((resolve) =>
        wx.uploadFile({ name: 'file', ...options, success: resolve, fail: (e) => resolve(e.errMsg) }),
      );

    it("POSTs multipart/form-data: the fields, the file in `name`, the header, WeChat's Referer", async () => {
      const wx = phone('up-ann');
      wx.files.set('wxfile://tmp_abc.png', new TextEncoder().encode('the bytes'));
      const res = await upload(wx, {
        url: `${echo.url}/up`,
        filePath: 'wxfile://tmp_abc.png',
        formData: { kind: 'avatar' },
        header: { Authorization: 'Bearer t', 'Content-Type': 'application/json', Referer: 'https://evil.example/' },
      });
      assert.ok(typeof res === 'object', String(res));
      assert.equal(res.errMsg, 'uploadFile:ok');
      assert.equal(res.statusCode, 200);
      // WeChat hands the answer over as a string, JSON or not.
      assert.equal(res.data, '{"ok":true}');
      const last = echo.seen.at(-1);
      assert.equal(last?.method, 'POST');
      assert.equal(last?.url, '/up');
      assert.match(last?.headers['content-type'] ?? '', /^multipart\/form-data; boundary=/);
      assert.equal(last?.headers.authorization, 'Bearer t');
      assert.equal(last?.headers.referer, `https://servicewechat.com/${APPID}/devtools/page-frame.html`);
      assert.match(last?.body ?? '', /name="kind"\r\n\r\navatar\r\n/);
      assert.match(
        last?.body ?? '',
        /name="file"; filename="tmp_abc\.png"\r\nContent-Type: image\/png\r\n\r\nthe bytes\r\n/,
      );
      assert.deepEqual(
        wx.log.filter((e) => e.api === 'uploadFile').map((e) => e.phase),
        ['call', 'ok'],
      );
    });

    it('success for every status, the body as text', async () => {
      const wx = phone('up-ben');
      wx.files.set('wxfile://tmp_b.jpg', new Uint8Array([1, 2, 3]));
      const res = await upload(wx, { url: `${echo.url}/missing`, filePath: 'wxfile://tmp_b.jpg' });
      assert.ok(typeof res === 'object', String(res));
      assert.equal(res.statusCode, 404);
      assert.equal(res.data, '{"code":"NOT_FOUND","message":"no"}');
    });

    it('fails with "uploadFile:fail …" for a file not on the phone, a domain outside the list, no answer', async () => {
      const wx = phone('up-cat', { allowedOrigins: [echo.url] });
      const filePath = 'wxfile://tmp_c.png';
      wx.files.set(filePath, new Uint8Array([1]));
      assert.equal(
        await upload(wx, { url: `${echo.url}/up`, filePath: 'wxfile://tmp_gone.png' }),
        'uploadFile:fail file not found: wxfile://tmp_gone.png',
      );
      assert.equal(
        await upload(wx, { url: 'http://127.0.0.1:9/up', filePath }),
        'uploadFile:fail url not in domain list',
      );
      assert.equal(await upload(wx, { url: `${echo.url}/hang`, filePath, timeout: 50 }), 'uploadFile:fail timeout');
      const open = phone('up-cat');
      open.files.set(filePath, new Uint8Array([1]));
      assert.match(String(await upload(open, { url: 'http://127.0.0.1:9/up', filePath })), /^uploadFile:fail /);
    });
  });

  describe('open-type buttons', () => {
    it('chooseAvatar: the picked image becomes a temporary file on the phone', () => {
      const wx = phone('btn-ann');
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const e = wx.buttons.chooseAvatar(png);
      assert.equal(e.type, 'chooseavatar');
      assert.match(e.detail.avatarUrl, /^wxfile:\/\/tmp_[0-9a-f]{24}\.png$/);
      assert.deepEqual(wx.files.get(e.detail.avatarUrl), png);
      assert.match(wx.buttons.chooseAvatar(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])).detail.avatarUrl, /\.jpg$/);
      assert.match(wx.buttons.chooseAvatar(png, 'jpeg').detail.avatarUrl, /\.jpeg$/);
    });

    it('getPhoneNumber: asks the user; a code, the legacy data while a session_key lives, refusals in e.detail', async () => {
      const user = scriptedUser('btn-ben');
      const wx = phone('btn-ben', { user });
      const first = await wx.buttons.getPhoneNumber();
      assert.equal(first.type, 'getphonenumber');
      assert.equal(first.detail.errMsg, 'getPhoneNumber:ok');
      assert.match(first.detail.code ?? '', /^[0-9a-f]{64}$/);
      assert.equal(first.detail.encryptedData, undefined);
      await wx.login();
      const both = await wx.buttons.getPhoneNumber();
      assert.ok(both.detail.code && both.detail.encryptedData && both.detail.iv);
      const legacy = await wx.buttons.getPhoneNumber({ code: false });
      assert.equal(legacy.detail.code, undefined);
      assert.ok(legacy.detail.encryptedData && legacy.detail.iv);
      user.deniesDialogs = true;
      assert.deepEqual((await wx.buttons.getPhoneNumber()).detail, { errMsg: 'getPhoneNumber:fail user deny' });
      assert.deepEqual((await wx.buttons.getPhoneNumber({ platform: 'android' })).detail, {
        errMsg: 'getPhoneNumber:fail:user deny',
      });
      assert.deepEqual(
        user.prompts.map((x) => x.kind === 'authorize' && `${x.request.api} ${x.allowed}`),
        [
          'getPhoneNumber true',
          'getPhoneNumber true',
          'getPhoneNumber true',
          'getPhoneNumber false',
          'getPhoneNumber false',
        ],
      );
    });
  });

  describe('storage', () => {
    it('answers "" for a missing key, keeps Dates, and keeps apps apart', () => {
      const storage = new MemoryStorage();
      const a = phone('st-ann', { storage });
      const b = createWxStandIn({ emulatorUrl: emulator.url, appid: 'wx0123456789abcdef', user: 'st-ann', storage });
      assert.equal(a.getStorageSync('k'), '');
      const when = new Date('2024-01-02T03:04:05Z');
      a.setStorageSync('k', { n: 1 });
      a.setStorageSync('d', when);
      assert.deepEqual(a.getStorageSync('k'), { n: 1 });
      assert.ok(a.getStorageSync('d') instanceof Date);
      assert.equal((a.getStorageSync('d') as Date).getTime(), when.getTime());
      assert.equal(b.getStorageSync('k'), '');
      a.removeStorageSync('k');
      assert.equal(a.getStorageSync('k'), '');
      // The same storage is the same phone: a restart sees what was left.
      assert.ok(phone('st-ann', { storage }).getStorageSync('d') instanceof Date);
    });
  });

  describe('authorization', () => {
    it('legacy getUserInfo asks once; a refusal sticks until the settings page turns it on', async () => {
      const user = scriptedUser('auth-ann', { deniesDialogs: true, grantsInSettings: true });
      const wx = phone('auth-ann', { user, userInfo: 'legacy' });
      await wx.login();
      await assert.rejects(wx.getUserInfo({}), { errMsg: 'getUserInfo:fail auth deny' });
      await assert.rejects(wx.getUserInfo({}), { errMsg: 'getUserInfo:fail auth deny' });
      assert.equal(user.prompts.length, 1);
      assert.deepEqual(((await wx.getSetting()) as WechatMiniprogram.GetSettingSuccessCallbackResult).authSetting, {
        'scope.userInfo': false,
      });
      await assert.rejects(wx.openSetting(), { errMsg: 'openSetting:fail can only be invoked by user TAP gesture.' });
      const opened = await wx.tap(() => wx.openSetting());
      assert.deepEqual(opened?.authSetting, { 'scope.userInfo': true });
      const info = (await wx.getUserInfo({})) as WechatMiniprogram.GetUserInfoSuccessCallbackResult;
      assert.equal(info.userInfo.nickName, emulator.control.user('auth-ann').profile.nickName);
      assert.match(info.encryptedData, /^[A-Za-z0-9+/=]+$/);
    });

    it("today's getUserInfo asks nothing and answers the anonymous profile", async () => {
      const user = scriptedUser('auth-ben', { deniesDialogs: true });
      const wx = phone('auth-ben', { user });
      await wx.login();
      const info = (await wx.getUserInfo({})) as WechatMiniprogram.GetUserInfoSuccessCallbackResult;
      assert.equal(info.userInfo.nickName, '微信用户');
      assert.equal(user.prompts.length, 0);
    });

    it('showModal runs its callbacks inside the tap: openSetting works there, not after an await', async () => {
      const wx = phone('auth-cat');
      const inCallback = await new Promise<string>((resolve) =>
        wx.showModal({
          title: 't',
          success: () => {
            wx.openSetting({ success: (r) => resolve(r.errMsg), fail: (e) => resolve(e.errMsg) });
          },
        }),
      );
      assert.equal(inCallback, 'openSetting:ok');
      await wx.showModal({ title: 't' });
      await assert.rejects(wx.openSetting(), { errMsg: 'openSetting:fail can only be invoked by user TAP gesture.' });
    });

    it('getAccountInfoSync names the app', () => {
      assert.equal(phone('acc-ann').getAccountInfoSync().miniProgram.appId, APPID);
    });
  });

  it('logs every call and outcome, for traces', async () => {
    const wx = phone('log-ann');
    const seen: string[] = [];
    const stop = wx.onCall((e) => seen.push(`${e.api}:${e.phase}`));
    await wx.login();
    stop();
    await wx.login();
    assert.deepEqual(seen, ['login:call', 'login:ok']);
    assert.equal(wx.log.filter((e) => e.api === 'login').length, 4);
  });
});
