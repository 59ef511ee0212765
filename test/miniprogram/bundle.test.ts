import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { Auth, AuthOptions } from '../../src/miniprogram/index.ts';
import { createWxStandIn, scriptedUser } from '../../src/miniprogram/stand-in/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, type Stack, startStack } from '../server/stack.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let out: string;

// Built inside the repository (test-results/ is gitignored) so the declarations find node_modules.
before(() => {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  out = mkdtempSync(join(root, 'test-results/sdk-build-'));
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-miniprogram.mjs'), '--only', 'sdk', '--out', out], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
after(() => rmSync(out, { recursive: true, force: true }));

it('package.json points the WeChat "miniprogram" field at the built folder, with index.js inside', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.miniprogram, 'miniprogram_dist');
  assert.ok(pkg.files.includes('miniprogram_dist'));
  assert.match(pkg.scripts.prepack, /build:miniprogram/);
  assert.deepEqual(Object.keys(pkg.exports['./miniprogram']), ['types', 'import', 'require']);
  // The package is ESM; the folder's own package.json keeps WeChat's CommonJS index.js CommonJS.
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'miniprogram_dist/package.json'), 'utf8')), { type: 'commonjs' });
});

it('the declarations type-check a consumer written against the published SDK', () => {
  const consumer = join(out, 'consumer.ts');
  writeFileSync(
    consumer,
    `import { createAuth, AuthError, type AuthUser } from './miniprogram_dist/index.js';
const auth = createAuth({ baseUrl: 'https://auth.example.com' });
export async function run(): Promise<AuthUser> {
  try {
    const { data } = await auth.request<{ items: string[] }>({ url: '/v1/things', method: 'POST', data: {} });
    data.items.map((s) => s.toUpperCase());
  } catch (err) {
    if (err instanceof AuthError && err.code === 'SESSION_REVOKED') await auth.login();
  }
  return auth.getUserInfo({ lang: 'zh_CN' });
}
export function onChooseAvatar(e: WechatMiniprogram.CustomEvent<{ avatarUrl: string }>): Promise<AuthUser> {
  return auth.updateProfile({ avatarFilePath: e.detail.avatarUrl, nickname: 'x' });
}
export function onGetPhoneNumber(e: WechatMiniprogram.ButtonGetPhoneNumber): Promise<AuthUser> {
  return auth.bindPhone(e).catch((err: AuthError) => {
    if (err.code === 'PHONE_DENIED') return auth.me();
    throw err;
  });
}
export const signUp = (phoneCode: string) => auth.login({ phoneCode });
`,
  );
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '--ignoreConfig',
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2018',
      '--lib',
      'es2018',
      '--types',
      'miniprogram-api-typings',
      consumer,
    ],
    { encoding: 'utf8', cwd: out },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

forEachDialect(
  'the built SDK inside a bare JavaScript runtime',
  (h) => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('index.js runs with nothing but a global wx (no Node APIs) and logs in for real', async () => {
      const wx = createWxStandIn({
        emulatorUrl: s.emulator.url,
        appid: APPID,
        user: scriptedUser('bundle-ann'),
        userInfo: 'legacy',
      });
      // What a mini program offers the npm package: CommonJS `module`/`exports`, `wx`, `console`.
      const module = { exports: {} as { createAuth?: (options: AuthOptions) => Auth } };
      vm.runInNewContext(readFileSync(join(out, 'miniprogram_dist/index.js'), 'utf8'), {
        module,
        exports: module.exports,
        wx,
        console,
      });
      assert.equal(typeof module.exports.createAuth, 'function');
      const auth = module.exports.createAuth?.({ baseUrl: s.url }) as Auth;
      const login = await auth.login();
      assert.equal(login.isNewUser, true);
      const user = await auth.getUserInfo();
      assert.equal(user.nickname, s.emulator.control.user('bundle-ann').profile.nickName);
    });
  },
  { only: ['sqlite'] },
);
