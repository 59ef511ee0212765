import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { installTarball, root, run, scratch } from '../miniprogram/client-package.ts';

const WEB = join(root, 'packages/web');
/** The budget packages/web/README.md states for dist/index.js. */
const BUDGET = { bytes: 24 * 1024, gzipBytes: 7 * 1024 };

let work: { dir: string; dispose(): void };
let tarball: string;
let installed: string;

before(() => {
  work = scratch('weapp-auth-web-pack-');
  // Built into a copy of the package (prepack's build, without rebuilding the checkout's dist/ under
  // a playground build running beside), then packed as `npm publish` would.
  const pkg = join(work.dir, 'pkg');
  run(process.execPath, [join(WEB, 'scripts/build.mjs'), '--out', pkg], root);
  for (const file of ['package.json', 'README.md']) copyFileSync(join(WEB, file), join(pkg, file));
  const out = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work.dir], pkg);
  tarball = join(work.dir, (JSON.parse(out.slice(out.indexOf('['))) as [{ filename: string }])[0].filename);
  const consumer = join(work.dir, 'consumer');
  run('mkdir', ['-p', consumer], work.dir);
  installTarball(consumer, tarball, { type: 'module' });
  installed = join(consumer, 'node_modules/weapp-auth-web');
});
after(() => work?.dispose());

describe('weapp-auth-web as published', () => {
  it('has no dependencies, and is one ES module with its types', () => {
    const pkg = JSON.parse(readFileSync(join(WEB, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'weapp-auth-web');
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'])
      assert.equal(pkg[field], undefined);
    assert.equal(pkg.type, 'module');
    assert.deepEqual(pkg.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
    const list = run('tar', ['-tzf', tarball], work.dir).trim().split('\n').sort();
    for (const file of [
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/types/index.d.ts',
      'package/README.md',
    ]) {
      assert.ok(list.includes(file), `the tarball lacks ${file}`);
    }
    assert.deepEqual(
      list.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')),
      [],
    );
  });

  it(`dist/index.js imports nothing and stays within ${BUDGET.bytes / 1024} KB, ${BUDGET.gzipBytes / 1024} KB gzipped`, () => {
    const code = readFileSync(join(installed, 'dist/index.js'));
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`# weapp-auth-web dist/index.js: ${code.length} bytes, ${gzipped} gzipped`);
    assert.doesNotMatch(code.toString('utf8'), /^\s*import\b|\bfrom\s*["']|\brequire\(/m);
    assert.ok(code.length <= BUDGET.bytes, `${code.length} bytes`);
    assert.ok(gzipped <= BUDGET.gzipBytes, `${gzipped} bytes gzipped`);
  });

  it('loads as an ES module and names its API', async () => {
    const out = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import('weapp-auth-web').then((m) => console.log(Object.keys(m).sort().join(',')))",
      ],
      join(work.dir, 'consumer'),
    );
    assert.equal(out.trim(), 'QrLoginSession,WebAuthError,isWebAuthError,logout,refreshTokens,startQrLogin');
  });

  it('compiles a TypeScript website with only this package installed', () => {
    const consumer = join(work.dir, 'consumer');
    writeFileSync(
      join(consumer, 'site.ts'),
      `import { isWebAuthError, startQrLogin, refreshTokens, type QrLoginUpdate, type WebTokens } from 'weapp-auth-web';
export async function signIn(img: HTMLImageElement): Promise<WebTokens | undefined> {
  const login = await startQrLogin({ baseUrl: 'https://auth.example.com', clientId: 'console' });
  img.src = login.qrcodeUrl;
  const off = login.on('scanned', (u: QrLoginUpdate) => console.log(u.status, u.transport));
  try {
    const tokens = await login.result;
    return await refreshTokens({ baseUrl: 'https://auth.example.com', refreshToken: tokens.refreshToken });
  } catch (err) {
    if (isWebAuthError(err) && err.code === 'EXPIRED') return signIn(img);
    throw err;
  } finally {
    off();
  }
}
`,
    );
    for (const resolution of ['bundler', 'nodenext']) {
      const compilerOptions = {
        strict: true,
        noEmit: true,
        target: 'es2018',
        lib: ['es2018', 'dom'],
        types: [],
        skipLibCheck: false,
        module: resolution === 'bundler' ? 'esnext' : 'nodenext',
        moduleResolution: resolution,
      };
      writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['site.ts'] }));
      const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', consumer], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${resolution}: ${r.stdout}${r.stderr}`);
    }
  });
});
