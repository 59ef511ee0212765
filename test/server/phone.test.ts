import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PhoneNumberResult } from '../../src/emulator/index.ts';
import { startEmulator } from '../../src/emulator/start.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, APPID2, SECRET, SECRET2, type Stack, startStack } from './stack.ts';

/** The getPhoneNumber button's e.detail on the user's phone. */
function phoneButton(s: Stack, user: string, appid = APPID): Required<PhoneNumberResult> {
  const detail = s.emulator.control.getPhoneNumber(appid, user);
  if (!('code' in detail)) throw new Error(`getPhoneNumber failed: ${detail.errMsg}`);
  return detail as Required<PhoneNumberResult>;
}

const phoneOf = (s: Stack, user: string) => s.emulator.control.user(user).profile;

forEachDialect('phone number', (h) => {
  describe('POST /v1/me/phone', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('binds the number behind a phone code, shown to its owner and never logged in full', async () => {
      const { accessToken } = (await s.login('vera')).body;
      const before = s.upstreamCalls('getuserphonenumber');
      const res = await s.call('POST', '/v1/me/phone', {
        token: accessToken,
        body: { code: phoneButton(s, 'vera').code },
      });
      assert.equal(res.status, 200, res.text);
      const { purePhoneNumber, countryCode } = phoneOf(s, 'vera');
      assert.equal(res.body.user.phoneNumber, purePhoneNumber);
      assert.equal(res.body.user.phoneCountryCode, countryCode);
      assert.deepEqual(res.body.next, ['profile_incomplete']);
      assert.equal(s.upstreamCalls('getuserphonenumber') - before, 1);
      const me = await s.call('GET', '/v1/me', { token: accessToken });
      assert.equal(me.body.user.phoneNumber, purePhoneNumber);
      const masked = `${purePhoneNumber.slice(0, 3)}****${purePhoneNumber.slice(-4)}`;
      assert.ok(s.logs.some((l) => l.includes('phone number bound') && l.includes(masked)));
      assert.ok(!s.logs.join('').includes(purePhoneNumber));
      const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
      assert.ok(!metrics.includes(purePhoneNumber));
      assert.match(metrics, /weapp_auth_phone_bindings_total\{source="code"\} 1/);
    });

    it("takes the button's whole e.detail, using the code over the legacy data", async () => {
      const { accessToken } = (await s.login('wade')).body;
      const detail = phoneButton(s, 'wade');
      assert.ok(detail.encryptedData, 'the emulator gives both forms while a session_key lives');
      const before = s.upstreamCalls('getuserphonenumber');
      const res = await s.call('POST', '/v1/me/phone', { token: accessToken, body: { ...detail, cloudID: 'x' } });
      assert.equal(res.status, 200, res.text);
      assert.equal(s.upstreamCalls('getuserphonenumber') - before, 1);
    });

    it('decrypts the legacy {encryptedData, iv} with the session_key held here', async () => {
      await s.emulator.control.upsertUser({ user: 'walt', purePhoneNumber: '4155550123', countryCode: '1' });
      const { accessToken } = (await s.login('walt')).body;
      const { encryptedData, iv } = phoneButton(s, 'walt');
      const before = s.upstreamCalls('getuserphonenumber');
      const res = await s.call('POST', '/v1/me/phone', { token: accessToken, body: { encryptedData, iv } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.user.phoneNumber, '4155550123');
      assert.equal(res.body.user.phoneCountryCode, '1');
      assert.equal(s.upstreamCalls('getuserphonenumber') - before, 0);
      const tampered = await s.call('POST', '/v1/me/phone', {
        token: accessToken,
        body: { encryptedData: `${encryptedData.slice(0, -24)}${'A'.repeat(22)}==`, iv },
      });
      assert.equal(tampered.status, 400);
      assert.match(tampered.body.code, /SESSION_KEY_STALE|DECRYPT_FAILED|INVALID_PLAINTEXT/);
    });

    it("refuses a phone code produced on another user's phone, without spending it", async () => {
      const { accessToken } = (await s.login('yuri')).body;
      await s.login('xena');
      const stolen = phoneButton(s, 'xena').code;
      const res = await s.call('POST', '/v1/me/phone', { token: accessToken, body: { code: stolen } });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.code, 'INVALID_PHONE_CODE');
      assert.equal(res.body.details.errcode, 40003);
      assert.match(res.body.message, /another WeChat user/);
      assert.equal((await s.call('GET', '/v1/me', { token: accessToken })).body.user.phoneNumber, null);
      const xena = (await s.login('xena')).body.accessToken;
      assert.equal((await s.call('POST', '/v1/me/phone', { token: xena, body: { code: stolen } })).status, 200);
    });

    it('refuses used codes and codes of the other mini program; each app uses its own access token', async () => {
      const { accessToken } = (await s.login('zack')).body;
      const { code } = phoneButton(s, 'zack');
      assert.equal((await s.call('POST', '/v1/me/phone', { token: accessToken, body: { code } })).status, 200);
      const reused = await s.call('POST', '/v1/me/phone', { token: accessToken, body: { code } });
      assert.equal(reused.status, 400);
      assert.equal(reused.body.code, 'INVALID_PHONE_CODE');
      assert.equal(reused.body.details.errcode, 40029);
      const otherApp = await s.call('POST', '/v1/me/phone', {
        token: accessToken,
        body: { code: phoneButton(s, 'zack', APPID2).code },
      });
      assert.equal(otherApp.status, 400);
      assert.equal(otherApp.body.details.errcode, 40013);
      // Logged in to the other app, the same code kind works: that app's token asks for it.
      const inApp2 = (await s.login('zack', {}, APPID2)).body.accessToken;
      const ok = await s.call('POST', '/v1/me/phone', {
        token: inApp2,
        body: { code: phoneButton(s, 'zack', APPID2).code },
      });
      assert.equal(ok.status, 200, ok.text);
    });

    it('refreshes a rejected access token once; WeChat down is a 503', async () => {
      const { accessToken } = (await s.login('abel')).body;
      s.emulator.control.addFault({ api: 'getuserphonenumber', errcode: 40001, count: 1 });
      const retried = await s.call('POST', '/v1/me/phone', {
        token: accessToken,
        body: { code: phoneButton(s, 'abel').code },
      });
      assert.equal(retried.status, 200, retried.text);
      s.emulator.control.addFault({ api: 'getuserphonenumber', errcode: -1, count: 1 });
      const busy = await s.call('POST', '/v1/me/phone', {
        token: accessToken,
        body: { code: phoneButton(s, 'abel').code },
      });
      assert.equal(busy.status, 503);
      assert.equal(busy.body.code, 'WECHAT_UNAVAILABLE');
    });

    it('documents the user-details routes in the OpenAPI document', async () => {
      const { paths } = (await s.call('GET', '/docs/json')).body;
      assert.ok(paths['/v1/me/phone'].post);
      assert.ok(paths['/v1/me'].patch && paths['/v1/me'].post);
      assert.ok(paths['/v1/me/avatar'].put && paths['/v1/me/avatar'].post);
      assert.ok(paths['/v1/login'].post.requestBody.content['application/json'].schema.properties.phoneCode);
    });

    it('answers a denied button or an empty body with a 400 that says why', async () => {
      const { accessToken } = (await s.login('bo')).body;
      const denied = s.emulator.control.getPhoneNumber(APPID, 'bo', { deny: true });
      const res = await s.call('POST', '/v1/me/phone', { token: accessToken, body: denied });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'INVALID_REQUEST');
      assert.match(res.body.message, /user deny/);
      const empty = await s.call('POST', '/v1/me/phone', { token: accessToken, body: {} });
      assert.equal(empty.status, 400);
      assert.match(empty.body.message, /Send \{code\}/);
      const badCode = await s.call('POST', '/v1/me/phone', { token: accessToken, body: { code: 'not a code!' } });
      assert.equal(badCode.status, 400);
      assert.equal(badCode.body.code, 'INVALID_REQUEST');
      assert.equal((await s.call('POST', '/v1/me/phone', { body: { code: 'abc' } })).status, 401);
    });
  });

  describe('POST /v1/login with a phone code', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('creates the user with the phone number in one round trip', async () => {
      const phoneCode = phoneButton(s, 'cleo').code;
      const res = await s.login('cleo', { phoneCode });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.isNewUser, true);
      assert.equal(res.body.user.phoneNumber, phoneOf(s, 'cleo').purePhoneNumber);
      assert.deepEqual(res.body.next, ['profile_incomplete']);
    });

    it('creates nothing when the phone code is refused', async () => {
      await s.login('dirk');
      const stolen = phoneButton(s, 'dirk').code;
      const res = await s.login('emil', { phoneCode: stolen });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.code, 'INVALID_PHONE_CODE');
      const openid = s.emulator.control.identity(APPID, 'emil').openid;
      const rows = await s.ctx.store.db.selectFrom('identities').select('id').where('openid', '=', openid).execute();
      assert.equal(rows.length, 0);
    });

    it('does not link a new WeChat account to the holder of its number (PHONE_LINK_POLICY=off)', async () => {
      await s.emulator.control.upsertUser({ user: 'fay', purePhoneNumber: '13580006666' });
      await s.emulator.control.upsertUser({ user: 'fay-recycled', purePhoneNumber: '13580006666' });
      const fay = await s.login('fay', { phoneCode: phoneButton(s, 'fay').code });
      const other = await s.login('fay-recycled', { phoneCode: phoneButton(s, 'fay-recycled').code });
      assert.equal(other.status, 200, other.text);
      assert.equal(other.body.isNewUser, true);
      assert.notEqual(other.body.user.id, fay.body.user.id);
      assert.equal(other.body.user.phoneNumber, '13580006666');
    });
  });

  describe('POST /v1/login with PHONE_LINK_POLICY=link', () => {
    let s: Stack;
    before(async () => {
      // Two mini programs bound to no open platform: no unionid, so the phone number is the only link.
      const emulator = h.track(
        await startEmulator({
          apps: [
            { appid: APPID, secret: SECRET },
            { appid: APPID2, secret: SECRET2 },
          ],
          logger: false,
        }),
      );
      s = await startStack(h, { emulator, env: { PHONE_LINK_POLICY: 'link' } });
    });

    it('links a first login in another app to the user holding the number', async () => {
      const inApp1 = await s.login('gina', { phoneCode: phoneButton(s, 'gina').code });
      assert.equal(inApp1.body.isNewUser, true);
      const inApp2 = await s.login('gina', { phoneCode: phoneButton(s, 'gina', APPID2).code }, APPID2);
      assert.equal(inApp2.status, 200, inApp2.text);
      assert.equal(inApp2.body.isNewUser, false);
      assert.equal(inApp2.body.user.id, inApp1.body.user.id);
      // The link holds for later logins without a phone code.
      assert.equal((await s.login('gina', {}, APPID2)).body.user.id, inApp1.body.user.id);
      assert.ok(s.logs.some((l) => l.includes('login linked by phone')));
    });

    it('never links a second WeChat account in the same app', async () => {
      await s.emulator.control.upsertUser({ user: 'hank', purePhoneNumber: '13900001111' });
      await s.emulator.control.upsertUser({ user: 'hank-new', purePhoneNumber: '13900001111' });
      const hank = await s.login('hank', { phoneCode: phoneButton(s, 'hank').code });
      const other = await s.login('hank-new', { phoneCode: phoneButton(s, 'hank-new').code });
      assert.equal(other.status, 200, other.text);
      assert.equal(other.body.isNewUser, true);
      assert.notEqual(other.body.user.id, hank.body.user.id);
      assert.ok(s.logs.some((l) => l.includes('login not linked by phone') && l.includes('holder_in_same_app')));
      assert.ok(!s.logs.join('').includes('13900001111'));
    });
  });
});
