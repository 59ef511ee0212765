import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { AuthError, createAuth, type PrivacyConsentRequest } from '../../packages/miniprogram/src/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { type Stack, startStack } from '../server/stack.ts';
import { phone } from './phone.ts';

const DECLARED = { declared: ['UserInfo', 'PhoneNumber'] };

/** The app's popup: remembers each request, answers it as the test says. */
function popup(p: ReturnType<typeof phone>) {
  const requests: PrivacyConsentRequest[] = [];
  const waiting: ((request: PrivacyConsentRequest) => void)[] = [];
  const off = p.auth.onPrivacyConsentNeeded((request) => {
    requests.push(request);
    waiting.shift()?.(request);
  });
  return {
    requests,
    off,
    /** The next request, once it comes. */
    next: () => new Promise<PrivacyConsentRequest>((resolve) => waiting.push(resolve)),
  };
}

forEachDialect(
  'mini program SDK: privacy consent',
  (h) => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('nothing declared (or a base library without privacy checks): consent resolves at once', async () => {
      const p = phone(s, 'priv-none');
      assert.equal(await p.auth.privacyConsentNeeded(), false);
      await p.auth.ensurePrivacyConsent();
      assert.equal(p.calls('requirePrivacyAuthorize'), 0);
      // A base library before 2.32.3 has no privacy APIs and asks for no consent.
      const old = phone(s, 'priv-old', { wx: { privacy: { declared: ['UserInfo'] } } });
      const wx = { ...old.wx, getPrivacySetting: undefined, requirePrivacyAuthorize: undefined };
      const auth = createAuth({ baseUrl: s.url, wx });
      assert.equal(await auth.privacyConsentNeeded(), false);
      await auth.ensurePrivacyConsent();
      // A framework's H5 build whose getPrivacySetting fails: no consent asked for either.
      const failing = {
        ...old.wx,
        getPrivacySetting: (options: { fail?: (err: { errMsg: string }) => void }) =>
          options.fail?.({ errMsg: 'getPrivacySetting:fail not supported' }),
      };
      await createAuth({ baseUrl: s.url, wx: failing }).ensurePrivacyConsent();
    });

    it("the app's popup: refused (PRIVACY_NOT_AUTHORIZED, errno 104), then agreed with its button", async () => {
      const p = phone(s, 'priv-ann', { wx: { privacy: DECLARED } });
      const ui = popup(p);
      assert.equal(await p.auth.privacyConsentNeeded(), true);

      let asked = ui.next();
      const refused = p.auth.ensurePrivacyConsent();
      const first = await asked;
      assert.equal(first.referrer, 'requirePrivacyAuthorize');
      first.shown();
      first.disagree();
      await assert.rejects(refused, (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'PRIVACY_NOT_AUTHORIZED');
        assert.equal(err.errMsg, 'requirePrivacyAuthorize:fail privacy permission is not authorized');
        assert.deepEqual(err.details, { errno: 104 });
        return true;
      });

      asked = ui.next();
      const agreed = p.auth.ensurePrivacyConsent();
      const second = await asked;
      // <button id="agree-privacy" open-type="agreePrivacyAuthorization" bindagreeprivacyauthorization>
      const e = p.wx.buttons.agreePrivacyAuthorization('agree-privacy');
      second.agree(e.target.id);
      await agreed;
      assert.equal(await p.auth.privacyConsentNeeded(), false);
      await p.auth.ensurePrivacyConsent();
      assert.equal(ui.requests.length, 2);
      // Consent lives on the phone: the mini program launched again does not ask.
      assert.equal(await p.restart().privacyConsentNeeded(), false);
      assert.deepEqual(
        p.wx.privacyLog.map((x) => x.kind),
        ['needed', 'exposed', 'refused', 'needed', 'agree-button', 'agreed'],
      );
    });

    it('agree with an id whose button was not tapped is refused, as WeChat refuses it', async () => {
      const p = phone(s, 'priv-ben', { wx: { privacy: DECLARED } });
      const ui = popup(p);
      const asked = ui.next();
      const pending = p.auth.ensurePrivacyConsent();
      (await asked).agree('agree-privacy');
      await assert.rejects(pending, {
        code: 'PRIVACY_NOT_AUTHORIZED',
        errMsg: 'requirePrivacyAuthorize:fail privacy permission is not authorized or buttonId is wrong',
      });
      assert.throws(() => ui.requests[0]?.agree(''), TypeError);
    });

    it('the phone button waits for the popup; refused, bindPhone rejects without a request', async () => {
      const p = phone(s, 'priv-cid', { wx: { privacy: DECLARED } });
      await p.auth.login();
      const ui = popup(p);
      const asked = ui.next();
      const tapped = p.wx.buttons.getPhoneNumber();
      const request = await asked;
      assert.equal(request.referrer, 'button.getPhoneNumber');
      request.disagree();
      const e = await tapped;
      assert.deepEqual(e.detail, { errMsg: 'getPhoneNumber:fail privacy permission is not authorized', errno: 104 });
      const requests = p.calls('request');
      await assert.rejects(p.auth.bindPhone(e), { code: 'PRIVACY_NOT_AUTHORIZED' });
      assert.equal(p.calls('request'), requests);
      assert.deepEqual(p.user.prompts, [], 'the user never saw the phone sheet');
    });

    it('a type missing from the privacy guide: PRIVACY_API_UNDECLARED (errno 112), no popup', async () => {
      const p = phone(s, 'priv-dan', { wx: { privacy: { declared: ['UserInfo'] } } });
      await p.auth.login();
      const ui = popup(p);
      const e = await p.wx.buttons.getPhoneNumber();
      assert.equal(e.detail.errno, 112);
      await assert.rejects(p.auth.bindPhone(e), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'PRIVACY_API_UNDECLARED');
        assert.equal(err.errMsg, 'getPhoneNumber:fail api scope is not declared in the privacy agreement');
        return true;
      });
      assert.equal(ui.requests.length, 0);
    });

    it('without a popup WeChat shows its own; a refusal fails (errno 103) and blocks for 10 s', async () => {
      const p = phone(s, 'priv-eve', { wx: { privacy: DECLARED }, behaviour: { deniesDialogs: true } });
      await assert.rejects(p.auth.ensurePrivacyConsent(), (err) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'PRIVACY_NOT_AUTHORIZED');
        assert.deepEqual(err.details, { errno: 103 });
        return true;
      });
      p.user.deniesDialogs = false;
      await assert.rejects(p.auth.ensurePrivacyConsent(), { code: 'PRIVACY_NOT_AUTHORIZED' });
      assert.equal(p.user.prompts.length, 1, 'no second popup within 10 s');
      assert.deepEqual(p.user.prompts[0], {
        kind: 'authorize',
        request: { scope: 'privacy', api: 'requirePrivacyAuthorize' },
        allowed: false,
      });
    });

    it('getUserInfo asks for consent first; agreed, the profile is stored', async () => {
      const p = phone(s, 'priv-fay', { wx: { privacy: DECLARED } });
      const ui = popup(p);
      ui.next().then((request) => request.agree(p.wx.buttons.agreePrivacyAuthorization('agree').target.id));
      const user = await p.auth.getUserInfo();
      assert.equal(user.nickname, s.emulator.control.user('priv-fay').profile.nickName);
      assert.equal(ui.requests.length, 1);
    });

    it('chooseAvatar before consent answers at once with errno 104; after it, a file', () => {
      const p = phone(s, 'priv-gus', { wx: { privacy: DECLARED } });
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.deepEqual(p.wx.buttons.chooseAvatar(png).detail, {
        avatarUrl: '',
        errMsg: 'chooseAvatar:fail privacy permission is not authorized',
        errno: 104,
      });
      p.wx.buttons.agreePrivacyAuthorization('agree');
      assert.match(p.wx.buttons.chooseAvatar(png).detail.avatarUrl, /^wxfile:\/\/tmp_/);
    });
  },
  { only: ['sqlite'] },
);
