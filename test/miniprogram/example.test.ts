import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { createWxStandIn, scriptedUser, type WxStandIn } from '../../src/stand-in/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { packNpm } from '../helpers/miniprogram-ci.ts';
import { miniProgramWorld, type SimComponent } from '../helpers/simulate.ts';
import { IMAGES } from '../server/images.ts';
import { APPID, type Stack, startStack } from '../server/stack.ts';
import { installTarball, packClient, root, scratch } from './client-package.ts';
import { claims } from './phone.ts';

const EXAMPLE = join(root, 'examples/miniprogram');
/** The website of the scan-to-login tests (WEB_CLIENTS), and the browser it runs in. */
const SITE = { id: 'console', name: '运营后台', origin: 'https://console.example.com' };
const DESKTOP_CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Polls `check` until it returns something truthy (the page updates after its promises settle). */
async function until<T>(what: string, check: () => T, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const text = (page: SimComponent, selector: string) => page.querySelector(selector)?.dom.textContent?.trim() ?? '';
/** An element of the page's privacy-popup component (its classes are its own). */
const inPopup = (page: SimComponent, selector: string) => page.querySelector(`.privacy >>> ${selector}`);

forEachDialect(
  'the example mini program, built by WeChat’s builder and run in miniprogram-simulate',
  (h) => {
    let s: Stack;
    let work: { dir: string; dispose(): void };
    let project: string;
    let tarball: string;
    let wx: WxStandIn;
    let world: ReturnType<typeof miniProgramWorld>;
    const pages: SimComponent[] = [];

    const open = (path: string): SimComponent => {
      const id = world.simulate.load(join(project, path), { compiler: 'simulate', rootPath: project });
      const page = world.simulate.render(id);
      page.attach(document.createElement('parent-wrapper'));
      pages.push(page);
      return page;
    };
    const auth = () => (world.app() as { auth: import('../../packages/miniprogram/src/index.ts').Auth }).auth;

    before(async () => {
      s = await startStack(h, {
        env: { WEB_CLIENTS: `${SITE.id}:${SITE.origin}`, WEB_CLIENT_NAMES: `${SITE.id}:${SITE.name}` },
      });
      work = scratch('weapp-auth-example-');
      project = join(work.dir, 'project');
      cpSync(EXAMPLE, project, {
        recursive: true,
        filter: (src) => !/[/\\](node_modules|miniprogram_npm)([/\\]|$)/.test(src),
      });
      tarball = packClient(join(work.dir, 'packed'));
      const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
      installTarball(project, tarball, manifest);
      writeFileSync(join(project, 'config.js'), `module.exports = { baseUrl: ${JSON.stringify(s.url)} };\n`);
    });
    after(() => {
      for (const page of pages) page.detach();
      work?.dispose();
    });

    it('packNpm (miniprogram-ci, offline) builds miniprogram_npm from the installed client package', () => {
      const result = packNpm(project, APPID);
      console.log(`# packNpm: ${result.ms} ms, ${JSON.stringify(result.report)}`);
      assert.deepEqual(result.warnings, []);
      assert.equal(result.report.miniprogram_pack_num, 1);
      assert.equal(result.report.other_pack_num, 0);
      const built = join(project, 'miniprogram_npm/weapp-auth-miniprogram/index.js');
      assert.ok(existsSync(built));
      assert.equal(
        readFileSync(built, 'utf8'),
        readFileSync(join(project, 'node_modules/weapp-auth-miniprogram/miniprogram_dist/index.js'), 'utf8'),
      );
    });

    it('app.js loads the built package with a bare require and logs in at launch', async () => {
      wx = createWxStandIn({
        emulatorUrl: s.emulator.url,
        appid: APPID,
        user: scriptedUser('example-ann'),
        privacy: { declared: ['UserInfo', 'PhoneNumber'] },
      });
      world = miniProgramWorld(project, wx);
      createRequire(import.meta.url)(join(project, 'app.js'));
      const app = world.app() as { onLaunch(): void };
      app.onLaunch();
      await until('the login at launch', () => auth().isLoggedIn);
      assert.ok(auth().user?.id);
    });

    let profile: SimComponent;

    it('profile page: the privacy popup, refused, then agreed with its button', async () => {
      profile = open('pages/profile/profile');
      profile.instance.onLoad?.({});
      await until('the privacy popup', () => inPopup(profile, '.privacy-dialog'));
      assert.equal(profile.querySelector('.avatar-button'), undefined, 'no privacy component before consent');
      inPopup(profile, '#disagree-privacy')?.dispatchEvent('tap');
      await until('the refusal', () => text(profile, '.error').includes('隐私保护指引'));
      assert.equal(inPopup(profile, '.privacy-dialog'), undefined);
      assert.ok(profile.querySelector('.ask-consent'));

      profile.querySelector('.ask-consent')?.dispatchEvent('tap');
      await until('the popup again', () => inPopup(profile, '.privacy-dialog'));
      // The user taps <button id="agree-privacy" open-type="agreePrivacyAuthorization">.
      const agreed = wx.buttons.agreePrivacyAuthorization('agree-privacy');
      inPopup(profile, '#agree-privacy')?.dispatchEvent('agreeprivacyauthorization', { detail: agreed.detail });
      await until('the profile components', () => profile.querySelector('.avatar-button'));
      assert.equal(text(profile, '.error'), '');
      assert.deepEqual(
        wx.privacyLog.map((e) => e.kind),
        ['needed', 'exposed', 'refused', 'needed', 'exposed', 'agree-button', 'agreed'],
      );
    });

    it('profile page: avatar and nickname saved on the server', async () => {
      const chosen = wx.buttons.chooseAvatar(IMAGES.png);
      profile.querySelector('.avatar-button')?.dispatchEvent('chooseavatar', { detail: chosen.detail });
      await until('the picked avatar', () => profile.instance.data.avatarFilePath);
      profile.querySelector('.nickname-form')?.dispatchEvent('submit', { detail: { value: { nickname: 'Ann 🐟' } } });
      await until('the saved profile', () => text(profile, '.shown-nickname') === 'Ann 🐟');
      const me = await auth().me();
      assert.equal(me.nickname, 'Ann 🐟');
      assert.match(me.avatarUrl ?? '', /\/media\/avatars\/[0-9a-f]{64}\.png$/);
      assert.equal(profile.instance.data.avatarUrl, me.avatarUrl);
    });

    it('profile page: the phone button binds the number', async () => {
      const e = await wx.buttons.getPhoneNumber();
      profile.querySelector('.bind-phone')?.dispatchEvent('getphonenumber', { detail: e.detail });
      const number = s.emulator.control.user('example-ann').profile.purePhoneNumber;
      await until('the bound number', () => text(profile, '.phone-number') === `手机号 ${number}`);
      assert.equal((await auth().me()).phoneNumber, number);
    });

    /** The website asks for a code (POST /v1/qr-login from its origin); the phone's camera reads it. */
    async function websiteCode() {
      const headers = { origin: SITE.origin, 'user-agent': DESKTOP_CHROME };
      const ticket = await s.call('POST', '/v1/qr-login', { body: { clientId: SITE.id }, headers });
      assert.equal(ticket.status, 200, ticket.text);
      const res = await fetch(`${s.emulator.url}/__emulator/wxacode/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ image: ticket.body.qrcode }),
      });
      const scanned = (await res.json()) as { page: string; query: { scene: string } };
      assert.equal(scanned.page, 'pages/qr-login/confirm', "the code opens the example's confirm page");
      const poll = () =>
        s.call('GET', `/v1/qr-login/${ticket.body.id}?secret=${ticket.body.secret}`, {
          headers: { origin: SITE.origin },
        });
      return { query: scanned.query, poll };
    }

    it('pages/qr-login/confirm: the website and browser that ask, then confirm logs the website in as this user', async () => {
      const code = await websiteCode();
      const page = open('pages/qr-login/confirm');
      page.instance.onLoad?.({ scene: code.query.scene });
      await until('the request shown', () => page.querySelector('.confirm'));
      assert.equal(text(page, '.title'), `${SITE.name} 请求登录`);
      assert.equal(text(page, '.origin'), SITE.origin);
      assert.equal(text(page, '.browser'), 'Chrome 131 · macOS');
      assert.match(text(page, '.ip'), /^IP 127\.0\.0\.1/);
      assert.equal(text(page, '.account'), `将以「${auth().user?.nickname}」的身份登录`);
      assert.equal((await code.poll()).body.status, 'scanned');

      page.querySelector('.confirm')?.dispatchEvent('tap');
      await until('the confirmation', () => text(page, '.done') === '已登录，请回到电脑上继续');
      const state = await code.poll();
      assert.equal(state.body.status, 'confirmed');
      const web = claims(state.body.tokens.accessToken);
      assert.equal(web.aud, SITE.id);
      assert.equal(web.sub, auth().user?.id);
    });

    it('pages/qr-login/confirm: cancel refuses the website', async () => {
      const code = await websiteCode();
      const page = open('pages/qr-login/confirm');
      page.instance.onLoad?.({ scene: code.query.scene });
      await until('the request shown', () => page.querySelector('.cancel'));
      page.querySelector('.cancel')?.dispatchEvent('tap');
      await until('the refusal', () => text(page, '.done') === '已取消登录');
      assert.equal((await code.poll()).body.status, 'cancelled');
    });

    it('pages/qr-login/confirm: opened without a code, or with a used one, says what to do', async () => {
      const bare = open('pages/qr-login/confirm');
      bare.instance.onLoad?.({});
      assert.equal(text(bare, '.error'), '请用微信扫描网页上的小程序码');

      const code = await websiteCode();
      const first = open('pages/qr-login/confirm');
      first.instance.onLoad?.({ scene: code.query.scene });
      await until('the request shown', () => first.querySelector('.confirm'));
      first.querySelector('.confirm')?.dispatchEvent('tap');
      await until('the confirmation', () => first.querySelector('.done'));
      const again = open('pages/qr-login/confirm');
      again.instance.onLoad?.({ scene: code.query.scene });
      await until('the message', () => text(again, '.error'));
      assert.equal(text(again, '.error'), '这次登录已经确认或取消过了');
    });

    it('settings page: logout ends the session on the server', async () => {
      const token = wx.getStorageSync(`weapp-auth:${APPID}:tokens`) as { accessToken: string };
      const settings = open('pages/settings/settings');
      settings.instance.onLoad?.({});
      settings.instance.onShow?.();
      await until('the settings page', () => settings.querySelector('.logout'));
      assert.equal(text(settings, '.who'), 'Ann 🐟');
      settings.querySelector('.logout')?.dispatchEvent('tap');
      await until('the logged-out page', () => settings.querySelector('.login'));
      assert.equal(auth().isLoggedIn, false);
      // The SDK forgets the tokens at once and ends the session on the server in the background
      // (auth.ts, logout): the page shows logged out before that request is answered. Asked too
      // early, the server still knew the session (Node 24, SQLite's writer thread, once).
      const deadline = Date.now() + 5000;
      let res = await s.call('GET', '/v1/me', { token: token.accessToken });
      while (res.status === 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        res = await s.call('GET', '/v1/me', { token: token.accessToken });
      }
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'SESSION_REVOKED');
    });

    let settings: SimComponent;

    it('pages/qr-login/confirm after a logout: the scan logs in first (silently), and the website gets that user', async () => {
      assert.equal(auth().isLoggedIn, false);
      const code = await websiteCode();
      const page = open('pages/qr-login/confirm');
      page.instance.onLoad?.({ scene: code.query.scene });
      await until('the request shown', () => page.querySelector('.confirm'));
      assert.equal(auth().isLoggedIn, true);
      page.querySelector('.confirm')?.dispatchEvent('tap');
      await until('the confirmation', () => page.querySelector('.done'));
      assert.equal(claims((await code.poll()).body.tokens.accessToken).sub, auth().user?.id);
    });

    it('settings page: 导出我的数据 shows everything the server holds', async () => {
      settings = open('pages/settings/settings');
      settings.instance.onLoad?.({});
      settings.instance.onShow?.();
      settings.querySelector('.login')?.dispatchEvent('tap');
      await until('the logged-in page', () => settings.querySelector('.export'));
      settings.querySelector('.export')?.dispatchEvent('tap');
      await until('the export', () => settings.querySelector('.summary'));
      assert.match(text(settings, '.summary'), /^1 个小程序身份，\d+ 次登录会话，\d+ 条安全记录$/);
      const data = JSON.parse(text(settings, '.json'));
      assert.equal(data.user.id, auth().user?.id);
      assert.equal(data.user.nickname, 'Ann 🐟');
      assert.equal(data.identities[0].openid, s.emulator.control.identity(APPID, 'example-ann').openid);
    });

    it('settings page: 注销账号 asks first, explaining the cooling-off period; cancel keeps the account, confirm deletes it', async () => {
      const user = wx.user as ReturnType<typeof scriptedUser>;
      const userId = auth().user?.id;
      const token = (wx.getStorageSync(`weapp-auth:${APPID}:tokens`) as { accessToken: string }).accessToken;
      const deletes = () =>
        wx.log.filter((e) => e.api === 'request' && e.phase === 'call' && e.detail.method === 'DELETE').length;
      user.confirmsModals = false;
      settings.querySelector('.delete')?.dispatchEvent('tap');
      await until('the modal', () => user.prompts.some((p) => p.kind === 'modal' && p.modal.title === '注销账号'));
      const prompt = user.prompts.findLast((p) => p.kind === 'modal');
      assert.ok(prompt?.kind === 'modal');
      assert.match(prompt.modal.content, /冷静期/);
      assert.equal(prompt.modal.confirmText, '确认注销');
      assert.equal(auth().isLoggedIn, true);
      assert.equal((await s.call('GET', '/v1/me', { token })).status, 200, 'cancel sends nothing');

      user.confirmsModals = true;
      settings.querySelector('.delete')?.dispatchEvent('tap');
      await until('the result', () => settings.querySelector('.deletion'));
      // The example's server deletes at once (DELETION_COOLING_OFF_DAYS=0).
      assert.equal(text(settings, '.deletion'), '账号已删除。');
      assert.ok(settings.querySelector('.login'), 'logged out on the phone');
      assert.equal(auth().isLoggedIn, false);
      assert.equal(deletes(), 1);
      assert.equal((await s.call('GET', '/v1/me', { token })).status, 401);
      const gone = await s.ctx.store.db
        .selectFrom('users')
        .select('id')
        .where('id', '=', userId ?? '')
        .execute();
      assert.deepEqual(gone, []);

      settings.querySelector('.login')?.dispatchEvent('tap');
      await until('the new login', () => settings.querySelector('.export'));
      assert.notEqual(auth().user?.id, userId, 'the same WeChat user comes back as a new user');
    });
  },
  { only: ['sqlite'] },
);
