import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import type { Auth, AuthOptions } from '../../packages/miniprogram/src/index.ts';
import { createWxStandIn, scriptedUser } from '../../src/stand-in/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { packNpm } from '../helpers/miniprogram-ci.ts';
import { APPID, type Stack, startStack } from '../server/stack.ts';
import { clientDir, installTarball, packClient, root, run, scratch } from './client-package.ts';

/** The budget README and docs/miniprogram.md state for miniprogram_dist/index.js. */
const BUDGET = { bytes: 48 * 1024, gzipBytes: 13 * 1024 };

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

let consumer: { dir: string; dispose(): void };
let tarball: string;
let installed: string;

before(() => {
  consumer = scratch('weapp-auth-consumer-');
  tarball = packClient(join(consumer.dir, 'packed'));
  installTarball(consumer.dir, tarball, { type: 'module' });
  installed = join(consumer.dir, 'node_modules/weapp-auth-miniprogram');
});
after(() => consumer.dispose());

describe('the two packages', () => {
  it('the client package has no dependencies and the fields WeChat, Node and bundlers read', () => {
    const pkg = manifest(clientDir);
    assert.equal(pkg.name, 'weapp-auth-miniprogram');
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'])
      assert.equal(pkg[field], undefined);
    assert.equal(pkg.miniprogram, 'miniprogram_dist');
    assert.equal(pkg.main, 'miniprogram_dist/index.js');
    assert.equal(pkg.type, undefined, 'no "type": index.js stays CommonJS for WeChat and require');
    assert.deepEqual(pkg.exports['.'], {
      import: { types: './dist/index.d.mts', default: './dist/index.mjs' },
      require: { types: './dist/index.d.ts', default: './miniprogram_dist/index.js' },
    });
  });

  it('the server package no longer advertises the SDK, and offers the stand-in to test authors', () => {
    const pkg = manifest(root);
    assert.equal(pkg.miniprogram, undefined);
    assert.equal(pkg.exports['./miniprogram'], undefined);
    assert.ok(!pkg.files.includes('miniprogram_dist'));
    assert.deepEqual(pkg.exports['./stand-in'], {
      types: './dist/stand-in/index.d.ts',
      default: './dist/stand-in/index.js',
    });
    assert.deepEqual(pkg.workspaces, ['packages/miniprogram', 'packages/web']);
  });

  it('the tarball holds the builds, the declarations and the README, not the sources', () => {
    const list = run('tar', ['-tzf', tarball], consumer.dir).trim().split('\n').sort();
    assert.ok(list.includes('package/miniprogram_dist/index.js'));
    assert.ok(list.includes('package/dist/index.mjs'));
    assert.ok(list.includes('package/dist/index.d.ts'));
    assert.ok(list.includes('package/dist/index.d.mts'));
    assert.ok(list.includes('package/README.md'));
    assert.deepEqual(
      list.filter((f) => f.startsWith('package/miniprogram_dist/')),
      ['package/miniprogram_dist/index.js'],
      'WeChat copies the whole folder into every build: only the runtime file',
    );
    assert.deepEqual(
      list.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.d.mts')),
      [],
    );
  });

  it(`miniprogram_dist/index.js stays within ${BUDGET.bytes / 1024} KB, ${BUDGET.gzipBytes / 1024} KB gzipped`, () => {
    const code = readFileSync(join(installed, 'miniprogram_dist/index.js'));
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`# miniprogram_dist/index.js: ${code.length} bytes, ${gzipped} gzipped`);
    assert.ok(code.length <= BUDGET.bytes, `${code.length} bytes`);
    assert.ok(gzipped <= BUDGET.gzipBytes, `${gzipped} bytes gzipped`);
    // ES2017: what every base library in use parses (WeChat's builder copies the file as it is).
    assert.doesNotMatch(code.toString('utf8'), /\?\.|\?\?|#\w+\s*[;=(]/);
  });
});

describe('a mini program project with only the client package installed', () => {
  it("builds with WeChat's npm builder (miniprogram-ci packNpm, offline) into one file", () => {
    const project = scratch('weapp-auth-fresh-mp-');
    try {
      const dir = project.dir;
      writeFileSync(join(dir, 'project.config.json'), JSON.stringify({ appid: APPID, compileType: 'miniprogram' }));
      writeFileSync(join(dir, 'app.json'), JSON.stringify({ pages: ['pages/index/index'] }));
      writeFileSync(
        join(dir, 'app.js'),
        "const { createAuth } = require('weapp-auth-miniprogram');\nApp({ auth: createAuth({ baseUrl: 'https://auth.example.com' }) });\n",
      );
      mkdirSync(join(dir, 'pages/index'), { recursive: true });
      writeFileSync(join(dir, 'pages/index/index.js'), 'Page({});\n');
      writeFileSync(join(dir, 'pages/index/index.wxml'), '<view>hello</view>\n');
      installTarball(dir, tarball);
      const result = packNpm(dir, APPID);
      console.log(`# packNpm of a fresh project: ${result.ms} ms`);
      assert.deepEqual(result.warnings, []);
      assert.deepEqual(readdirSync(join(dir, 'miniprogram_npm')), ['weapp-auth-miniprogram']);
      assert.deepEqual(readdirSync(join(dir, 'miniprogram_npm/weapp-auth-miniprogram')), ['index.js']);
    } finally {
      project.dispose();
    }
  });
});

describe('TypeScript users with only the client package installed', () => {
  const tsc = (project: string) =>
    spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], {
      encoding: 'utf8',
      cwd: consumer.dir,
    });

  const USE = `const auth = createAuth({ baseUrl: 'https://auth.example.com' });
export async function run(): Promise<AuthUser> {
  try {
    const { data } = await auth.request<{ items: string[] }>({ url: '/v1/things', method: 'POST', data: {} });
    data.items.map((s) => s.toUpperCase());
  } catch (err) {
    if (err instanceof AuthError && err.code === 'SESSION_REVOKED') await auth.login();
    if (isAuthError(err) && err.code === 'PRIVACY_NOT_AUTHORIZED') return auth.me();
  }
  return auth.getUserInfo({ lang: 'zh_CN' });
}
export function onChooseAvatar(e: { detail: { avatarUrl: string } }): Promise<AuthUser> {
  return auth.updateProfile({ avatarFilePath: e.detail.avatarUrl, nickname: 'x' });
}
export function onGetPhoneNumber(e: { detail: PhoneNumberDetail }): Promise<AuthUser> {
  return auth.bindPhone(e).catch((err: AuthError) => {
    if (err.code === 'PHONE_DENIED') return auth.me();
    throw err;
  });
}
export const signUp = (phoneCode: string) => auth.login({ phoneCode });
`;

  before(() => {
    const names = 'createAuth, AuthError, isAuthError, type AuthUser, type PhoneNumberDetail';
    writeFileSync(join(consumer.dir, 'esm.ts'), `import { ${names} } from 'weapp-auth-miniprogram';\n${USE}`);
    writeFileSync(join(consumer.dir, 'cjs.cts'), `import { ${names} } from 'weapp-auth-miniprogram';\n${USE}`);
    const options = {
      strict: true,
      noEmit: true,
      target: 'es2018',
      lib: ['es2018'],
      types: [],
      skipLibCheck: false,
    };
    const write = (name: string, compilerOptions: object, files: string[]) =>
      writeFileSync(
        join(consumer.dir, name),
        JSON.stringify({ compilerOptions: { ...options, ...compilerOptions }, files }),
      );
    write('tsconfig.node.json', { module: 'nodenext', moduleResolution: 'nodenext' }, ['esm.ts', 'cjs.cts']);
    write('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler' }, ['esm.ts']);
    // WeChat's own `wx`, as miniprogram-api-typings types it, is accepted as it is.
    writeFileSync(
      join(consumer.dir, 'global-wx.ts'),
      `import { createAuth, type WxApi } from 'weapp-auth-miniprogram';
export const auth = createAuth({ baseUrl: 'https://auth.example.com', wx });
export const api: WxApi = wx;
`,
    );
    write(
      'tsconfig.typings.json',
      {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['miniprogram-api-typings'],
        typeRoots: [join(root, 'node_modules')],
      },
      ['global-wx.ts'],
    );
  });

  for (const project of ['tsconfig.node.json', 'tsconfig.bundler.json', 'tsconfig.typings.json']) {
    it(`compiles a consumer with ${project}`, () => {
      const r = tsc(project);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });
  }
});

forEachDialect(
  'the packed client inside a bare JavaScript runtime',
  (h) => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('miniprogram_dist/index.js runs with nothing but a global wx (no Node APIs) and logs in for real', async () => {
      const wx = createWxStandIn({
        emulatorUrl: s.emulator.url,
        appid: APPID,
        user: scriptedUser('bundle-ann'),
        userInfo: 'legacy',
      });
      // What a mini program offers the npm package: CommonJS `module`/`exports`, `wx`, `console`.
      const module = { exports: {} as { createAuth?: (options: AuthOptions) => Auth } };
      vm.runInNewContext(readFileSync(join(installed, 'miniprogram_dist/index.js'), 'utf8'), {
        module,
        exports: module.exports,
        wx,
        console,
        setTimeout,
      });
      assert.equal(typeof module.exports.createAuth, 'function');
      const auth = module.exports.createAuth?.({ baseUrl: s.url }) as Auth;
      const login = await auth.login();
      assert.equal(login.isNewUser, true);
      const user = await auth.getUserInfo();
      assert.equal(user.nickname, s.emulator.control.user('bundle-ann').profile.nickName);
    });

    it('dist/index.mjs is what an ESM import of the package loads', async () => {
      const sdk = await import(join(installed, 'dist/index.mjs'));
      assert.equal(typeof sdk.createAuth, 'function');
      assert.ok(sdk.SERVER_ERROR_CODES.includes('INVALID_PHONE_CODE'));
    });
  },
  { only: ['sqlite'] },
);
