#!/usr/bin/env node
// Builds what runs outside Node: the SDK as mini program tooling expects it (miniprogram_dist/,
// the package.json "miniprogram" field) and the playground page (playground_dist/).
// Usage: npm run build:miniprogram   (or: node scripts/build-miniprogram.mjs --only sdk --out <dir>)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ES2017 runs on every WeChat base library still in use; esbuild lowers `?.`, `??` and `#private`.
const SDK = { bundle: true, platform: 'neutral', target: 'es2017', legalComments: 'none', logLevel: 'silent' };

/** The SDK as one file: CommonJS `index.js` (what "build npm" and `require` load) or ESM. */
async function bundleSdk(format, outfile) {
  await build({ ...SDK, entryPoints: [join(ROOT, 'src/miniprogram/index.ts')], format, outfile });
}

function tsc(args) {
  const bin = join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

/** Declarations for TypeScript users; relative imports rewritten to the .js the files would have. */
function declarations(outDir) {
  tsc([
    '-p',
    'tsconfig.miniprogram.json',
    '--noEmit',
    'false',
    '--declaration',
    '--emitDeclarationOnly',
    '--outDir',
    outDir,
  ]);
  for (const name of readdirSync(outDir)) {
    const file = join(outDir, name);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(from '\.\/[\w-]+)\.ts'/g, "$1.js'"));
  }
}

async function buildSdk(root) {
  const out = join(root, 'miniprogram_dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await bundleSdk('cjs', join(out, 'index.js'));
  await bundleSdk('esm', join(out, 'index.mjs'));
  declarations(join(out, 'types'));
  writeFileSync(join(out, 'index.d.ts'), "export * from './types/index.js';\n");
  // The package is "type": "module"; this folder's index.js is CommonJS, for WeChat's require.
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
}

/** The playground: its page and styles, and its script bundled with the stand-in. */
async function buildPlayground(root) {
  const out = join(root, 'playground_dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(join(ROOT, 'src/playground/public'), out, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'src/playground/client/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outfile: join(out, 'app.js'),
    logLevel: 'silent',
    plugins: [
      {
        // The page loads the SDK as published (miniprogram_dist/index.mjs, served at ./sdk/),
        // so the playground proves the build, not just the sources.
        name: 'published-sdk',
        setup(b) {
          b.onResolve({ filter: /\/miniprogram\/index\.ts$/ }, () => ({ path: './sdk/index.mjs', external: true }));
        },
      },
    ],
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, only: { type: 'string' } } });
  const out = resolve(values.out ?? ROOT);
  if (values.only !== 'playground') await buildSdk(out);
  if (values.only !== 'sdk') await buildPlayground(out);
  process.stdout.write(`built ${values.only ?? 'sdk and playground'} into ${out}\n`);
}
