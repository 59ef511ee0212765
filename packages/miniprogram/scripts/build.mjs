#!/usr/bin/env node
// Builds the package as its users load it:
//   miniprogram_dist/index.js  CommonJS ES2017, what WeChat's "Build npm" copies (the "miniprogram"
//                              field) and what `require` loads;
//   dist/index.mjs             the same as ESM, for bundlers (Taro, uni-app);
//   dist/index.d.ts, .d.mts    declarations needing nothing else installed (the wx types are ours).
// Usage: npm run build -w weapp-auth-miniprogram   (or: node scripts/build.mjs --out <dir>)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

// ES2017 runs on every WeChat base library still in use; esbuild lowers `?.`, `??` and `#private`.
const SDK = {
  bundle: true,
  platform: 'neutral',
  target: 'es2017',
  legalComments: 'none',
  logLevel: 'silent',
  entryPoints: [join(PACKAGE, 'src/index.ts')],
};

function tsc(args) {
  const bin = join(dirname(require.resolve('typescript/package.json')), 'bin/tsc');
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: PACKAGE, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

/** Declarations, one file per module; relative imports rewritten to the .js the files would have. */
function declarations(outDir) {
  tsc(['-p', 'tsconfig.json', '--noEmit', 'false', '--declaration', '--emitDeclarationOnly', '--outDir', outDir]);
  for (const name of readdirSync(outDir)) {
    const file = join(outDir, name);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(from '\.\/[\w-]+)\.ts'/g, "$1.js'"));
  }
}

/** Builds into `root` (default: this package); returns the files' paths. */
export async function buildClient(root = PACKAGE) {
  const mp = join(root, 'miniprogram_dist');
  const dist = join(root, 'dist');
  for (const dir of [mp, dist]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  const files = { cjs: join(mp, 'index.js'), esm: join(dist, 'index.mjs'), types: join(dist, 'index.d.ts') };
  await build({ ...SDK, format: 'cjs', outfile: files.cjs });
  await build({ ...SDK, format: 'esm', outfile: files.esm });
  declarations(join(dist, 'types'));
  writeFileSync(files.types, "export * from './types/index.js';\n");
  writeFileSync(join(dist, 'index.d.mts'), "export * from './types/index.js';\n");
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = resolve(values.out ?? PACKAGE);
  await buildClient(out);
  process.stdout.write(`built weapp-auth-miniprogram into ${out}\n`);
}
