import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AuthError, type AuthUser, createAuth } from '../../packages/miniprogram/src/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { ELF_EXECUTABLE, fetchAvatar, IMAGES } from '../server/images.ts';
import { APPID, type Stack, startStack } from '../server/stack.ts';
import { claims, type Phone, phone } from './phone.ts';

/** The bodies the SDK sent to `path` with wx.request, oldest first. */
function posted(p: Phone, path: string): Record<string, unknown>[] {
  return p.wx.log
    .filter((e) => e.api === 'request' && e.phase === 'call' && String(e.detail.url).endsWith(path))
    .map((e) => e.detail.data as Record<string, unknown>);
}

/** The HTTP statuses wx.uploadFile got, oldest first. */
const uploadStatuses = (p: Phone) =>
  p.wx.log.filter((e) => e.api === 'uploadFile' && e.phase === 'ok').map((e) => e.detail.statusCode);

const phoneOf = (s: Stack, user: string) => s.emulator.control.user(user).profile;

forEachDialect('mini program SDK: profile and phone number', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h, { env: { CONTENT_CHECK: 'on' } });
  });

  describe('updateProfile', () => {
    it('uploads the chosen avatar with wx.uploadFile; the server serves the same bytes', async () => {
      const p = phone(s, 'pro-ann');
      await p.auth.login();
      const events: AuthUser[] = [];
      p.auth.on('user', (user) => events.push(user));
      for (const kind of ['png', 'jpg'] as const) {
        const e = p.wx.buttons.chooseAvatar(IMAGES[kind]);
        assert.match(e.detail.avatarUrl, new RegExp(`^wxfile://tmp_[0-9a-f]+\\.${kind}$`));
        const user = await p.auth.updateProfile({ avatarFilePath: e.detail.avatarUrl });
        assert.match(user.avatarUrl ?? '', new RegExp(`/media/avatars/[0-9a-f]{64}\\.${kind}$`));
        const served = await fetchAvatar(s, user.avatarUrl ?? '');
        assert.equal(served.status, 200);
        assert.deepEqual(served.bytes, IMAGES[kind]);
        assert.equal(p.auth.user?.avatarUrl, user.avatarUrl);
      }
      assert.equal(events.length, 2);
      assert.equal(p.restart().user?.avatarUrl, events[1]?.avatarUrl);
      const upload = p.wx.log.find((e) => e.api === 'uploadFile' && e.phase === 'call');
      assert.equal(upload?.detail.url, `${s.url}/v1/me/avatar`);
      assert.equal(upload?.detail.name, 'file');
      const header = upload?.detail.header as Record<string, string>;
      assert.equal(claims(header.Authorization?.replace(/^Bearer /, '') ?? '').sub, p.auth.user?.id);
      assert.deepEqual(uploadStatuses(p), [200, 200]);
      assert.equal(p.calls('request', '/v1/me'), 0);
    });

    it('logs in when needed, sends the avatar first and then the nickname, as given', async () => {
      const p = phone(s, 'pro-ben');
      const e = p.wx.buttons.chooseAvatar(IMAGES.webp);
      const user = await p.auth.updateProfile({ nickname: '  Ben 🐟 ', avatarFilePath: e.detail.avatarUrl });
      assert.equal(user.nickname, 'Ben 🐟');
      assert.match(user.avatarUrl ?? '', /\.webp$/);
      assert.deepEqual(p.auth.user, user);
      const order = p.wx.log
        .filter((x) => x.phase === 'call' && (x.api === 'uploadFile' || x.api === 'request'))
        .map((x) => (x.api === 'uploadFile' ? 'upload' : new URL(String(x.detail.url)).pathname));
      assert.deepEqual(order, ['/v1/login', 'upload', '/v1/me']);
      assert.deepEqual(posted(p, '/v1/me'), [{ nickname: '  Ben 🐟 ' }]);
    });

    it('does not send WeChat\'s placeholder "微信用户" or a blank nickname', async () => {
      const p = phone(s, 'pro-cat');
      await p.auth.updateProfile({ nickname: 'Cat' });
      const e = p.wx.buttons.chooseAvatar(IMAGES.gif);
      const user = await p.auth.updateProfile({ nickname: ' 微信用户 ', avatarFilePath: e.detail.avatarUrl });
      assert.equal(user.nickname, 'Cat');
      assert.match(user.avatarUrl ?? '', /\.gif$/);
      const same = await p.auth.updateProfile({ nickname: '微信用户' });
      assert.deepEqual(same, user);
      assert.deepEqual(await p.auth.updateProfile({ nickname: '  ', avatarFilePath: '' }), user);
      assert.deepEqual(posted(p, '/v1/me'), [{ nickname: 'Cat' }]);
    });

    it('a renamed executable is refused with UNSUPPORTED_IMAGE_TYPE, and the nickname is not sent', async () => {
      const p = phone(s, 'pro-dan');
      await p.auth.updateProfile({ nickname: 'Dan' });
      const e = p.wx.buttons.chooseAvatar(ELF_EXECUTABLE, 'png');
      assert.match(e.detail.avatarUrl, /\.png$/);
      await assert.rejects(p.auth.updateProfile({ nickname: 'Dan 2', avatarFilePath: e.detail.avatarUrl }), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'UNSUPPORTED_IMAGE_TYPE');
        assert.equal(err.statusCode, 415);
        return true;
      });
      assert.deepEqual(uploadStatuses(p), [415]);
      assert.equal(p.calls('request', '/v1/me'), 1);
      const me = await p.auth.me();
      assert.equal(me.avatarUrl, null);
      assert.equal(me.nickname, 'Dan');
    });

    it('a nickname the content check calls risky: CONTENT_RISKY with the label; the cached one stays', async () => {
      const p = phone(s, 'pro-eve');
      await p.auth.updateProfile({ nickname: 'Eve' });
      const before = s.upstreamCalls('msg_sec_check');
      await assert.rejects(p.auth.updateProfile({ nickname: 'I am risky-word' }), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'CONTENT_RISKY');
        assert.equal(err.statusCode, 422);
        assert.equal(err.details?.label, 20003);
        return true;
      });
      assert.equal(s.upstreamCalls('msg_sec_check') - before, 1);
      assert.equal(p.auth.user?.nickname, 'Eve');
      await assert.rejects(p.auth.updateProfile({ nickname: 'a\nb' }), { code: 'INVALID_NICKNAME', statusCode: 400 });
      assert.equal((await p.auth.me()).nickname, 'Eve');
    });

    it('a temporary file no longer on the phone is WX_API_FAILED; a server out of reach NETWORK_ERROR', async () => {
      const p = phone(s, 'pro-fay');
      await p.auth.login();
      await assert.rejects(p.auth.updateProfile({ avatarFilePath: 'wxfile://tmp_gone.png' }), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'WX_API_FAILED');
        assert.equal(err.errMsg, 'uploadFile:fail file not found: wxfile://tmp_gone.png');
        return true;
      });
      // The same phone (its stored session), pointed at a server that does not answer.
      const offline = createAuth({ baseUrl: 'http://127.0.0.1:9', wx: p.wx });
      const e = p.wx.buttons.chooseAvatar(IMAGES.png);
      await assert.rejects(offline.updateProfile({ avatarFilePath: e.detail.avatarUrl }), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'NETWORK_ERROR');
        assert.match(err.errMsg ?? '', /^uploadFile:fail /);
        return true;
      });
    });

    it('a session revoked meanwhile: a new login, then the upload once more', async () => {
      const p = phone(s, 'pro-gus');
      const first = await p.auth.login();
      const tokens = p.wx.getStorageSync(`weapp-auth:${APPID}:tokens`) as { accessToken: string };
      await s.ctx.tokens.revoke(claims(tokens.accessToken).sid);
      const e = p.wx.buttons.chooseAvatar(IMAGES.png);
      const user = await p.auth.updateProfile({ avatarFilePath: e.detail.avatarUrl });
      assert.equal(user.id, first.user.id);
      assert.ok(user.avatarUrl);
      assert.deepEqual(uploadStatuses(p), [401, 200]);
      assert.equal(p.calls('login'), 2);
      assert.equal(p.calls('request', '/v1/token/refresh'), 0);
    });
  });

  describe('bindPhone', () => {
    it("stores the number behind the button's code, posting the code alone", async () => {
      const p = phone(s, 'tel-ann');
      await p.auth.login();
      const e = await p.wx.buttons.getPhoneNumber();
      assert.equal(e.detail.errMsg, 'getPhoneNumber:ok');
      assert.ok(e.detail.code);
      const user = await p.auth.bindPhone(e);
      const { purePhoneNumber, countryCode } = phoneOf(s, 'tel-ann');
      assert.equal(user.phoneNumber, purePhoneNumber);
      assert.equal(user.phoneCountryCode, countryCode);
      assert.equal(p.auth.user?.phoneNumber, purePhoneNumber);
      assert.deepEqual(posted(p, '/v1/me/phone'), [{ code: e.detail.code, verification: 'quick' }]);
    });

    it('stores the number from the legacy encryptedData and iv, with no wx.login in between', async () => {
      await s.emulator.control.upsertUser({ user: 'tel-ben', purePhoneNumber: '4155550123', countryCode: '1' });
      const p = phone(s, 'tel-ben');
      await p.auth.login();
      // A base library before 2.21.2: no code.
      const e = await p.wx.buttons.getPhoneNumber({ code: false });
      assert.equal(e.detail.code, undefined);
      assert.ok(e.detail.encryptedData && e.detail.iv);
      const before = s.upstreamCalls('getuserphonenumber');
      const user = await p.auth.bindPhone(e.detail);
      assert.equal(user.phoneNumber, '4155550123');
      assert.equal(user.phoneCountryCode, '1');
      assert.deepEqual(posted(p, '/v1/me/phone'), [{ encryptedData: e.detail.encryptedData, iv: e.detail.iv }]);
      assert.equal(p.calls('login'), 1);
      assert.equal(s.upstreamCalls('getuserphonenumber') - before, 0);
    });

    it('a refused button rejects here without a request: PHONE_DENIED in both spellings, PHONE_QUOTA_EXHAUSTED, else WX_API_FAILED', async () => {
      const p = phone(s, 'tel-cid', { behaviour: { deniesDialogs: true } });
      await p.auth.login();
      const requests = p.calls('request');
      const ios = await p.wx.buttons.getPhoneNumber();
      assert.deepEqual(ios.detail, { errMsg: 'getPhoneNumber:fail user deny' });
      await assert.rejects(p.auth.bindPhone(ios), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'PHONE_DENIED');
        assert.equal(err.errMsg, 'getPhoneNumber:fail user deny');
        assert.equal(err.statusCode, undefined);
        return true;
      });
      const android = await p.wx.buttons.getPhoneNumber({ platform: 'android' });
      assert.equal(android.detail.errMsg, 'getPhoneNumber:fail:user deny');
      await assert.rejects(p.auth.bindPhone(android.detail), { code: 'PHONE_DENIED' });
      assert.deepEqual(
        p.user.prompts.map((x) => x.kind === 'authorize' && x.request.api),
        ['getPhoneNumber', 'getPhoneNumber'],
      );
      // What an app of an individual gets from the button; then one whose quota is spent.
      await assert.rejects(p.auth.bindPhone({ detail: { errMsg: 'getPhoneNumber:fail no permission' } }), {
        code: 'WX_API_FAILED',
        errMsg: 'getPhoneNumber:fail no permission',
      });
      await assert.rejects(p.auth.bindPhone({ errMsg: 'getPhoneNumber:fail quota', errno: 1400001 }), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'PHONE_QUOTA_EXHAUSTED');
        assert.equal(err.errMsg, 'getPhoneNumber:fail quota');
        assert.deepEqual(err.details, { errno: 1400001 });
        return true;
      });
      assert.equal(p.calls('request'), requests);
      assert.equal(p.auth.user?.phoneNumber, null);
    });

    it('a code WeChat refuses is INVALID_PHONE_CODE, sent once and never again by itself', async () => {
      const p = phone(s, 'tel-dee');
      await p.auth.login();
      const e = await p.wx.buttons.getPhoneNumber();
      await p.auth.bindPhone(e);
      const before = s.upstreamCalls('getuserphonenumber');
      await assert.rejects(p.auth.bindPhone(e), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'INVALID_PHONE_CODE');
        assert.equal(err.statusCode, 400);
        return true;
      });
      assert.equal(p.calls('request', '/v1/me/phone'), 2);
      assert.equal(s.upstreamCalls('getuserphonenumber') - before, 1);
    });
  });

  describe('sign-up with the phone number', () => {
    it('login({phoneCode}) creates the user with the number', async () => {
      const p = phone(s, 'tel-eli');
      const e = await p.wx.buttons.getPhoneNumber();
      const result = await p.auth.login({ phoneCode: e.detail.code });
      assert.equal(result.isNewUser, true);
      assert.equal(result.user.phoneNumber, phoneOf(s, 'tel-eli').purePhoneNumber);
      assert.deepEqual(result.next, ['profile_incomplete']);
      assert.equal(posted(p, '/v1/login')[0]?.phoneCode, e.detail.code);
      assert.equal(p.auth.user?.phoneNumber, result.user.phoneNumber);
    });

    it('a login with a phone code is never folded into a login under way', async () => {
      const p = phone(s, 'tel-fox');
      const e = await p.wx.buttons.getPhoneNumber();
      const [plain, withPhone] = await Promise.all([p.auth.login(), p.auth.login({ phoneCode: e.detail.code })]);
      assert.equal(plain.user.phoneNumber, null);
      assert.equal(withPhone.user.id, plain.user.id);
      assert.equal(withPhone.user.phoneNumber, phoneOf(s, 'tel-fox').purePhoneNumber);
      assert.equal(p.calls('login'), 2);
      assert.deepEqual(
        posted(p, '/v1/login').map((b) => b.phoneCode),
        [undefined, e.detail.code],
      );
    });

    it('a refused phone code fails the login whole: no user, no session', async () => {
      const p = phone(s, 'tel-gil');
      await assert.rejects(p.auth.login({ phoneCode: 'f'.repeat(64) }), { code: 'INVALID_PHONE_CODE' });
      assert.equal(p.auth.isLoggedIn, false);
      assert.equal(p.calls('request', '/v1/login'), 1);
    });
  });
});

forEachDialect('mini program SDK: profile and phone with expired access tokens', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h, { env: { ACCESS_TOKEN_TTL: '60' } });
  });

  it('updateProfile: one refresh, the upload sent again, then the nickname with the new token', async () => {
    const p = phone(s, 'ttl-pro');
    const first = await p.auth.login();
    s.clock.offsetMs += 120_000;
    const e = p.wx.buttons.chooseAvatar(IMAGES.png);
    const user = await p.auth.updateProfile({ nickname: 'Tess', avatarFilePath: e.detail.avatarUrl });
    assert.equal(user.id, first.user.id);
    assert.equal(user.nickname, 'Tess');
    assert.match(user.avatarUrl ?? '', /\.png$/);
    assert.deepEqual(uploadStatuses(p), [401, 200]);
    assert.equal(p.calls('request', '/v1/token/refresh'), 1);
    assert.equal(p.calls('request', '/v1/me'), 1);
    assert.equal(p.calls('login'), 1);
  });

  it('bindPhone: refreshed, and the code (which a 401 leaves unspent) sent again', async () => {
    const p = phone(s, 'ttl-tel');
    await p.auth.login();
    s.clock.offsetMs += 120_000;
    const e = await p.wx.buttons.getPhoneNumber();
    const user = await p.auth.bindPhone(e);
    assert.equal(user.phoneNumber, phoneOf(s, 'ttl-tel').purePhoneNumber);
    assert.equal(p.calls('request', '/v1/me/phone'), 2);
    assert.equal(p.calls('request', '/v1/token/refresh'), 1);
    assert.equal(p.calls('login'), 1);
  });
});
