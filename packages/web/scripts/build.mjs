#!/usr/bin/env node
// Builds the package as websites load it:
//   dist/index.js    one ES module, ES2018 (every browser with EventSource and fetch), bundled;
//   dist/index.d.ts  its declarations (dist/types/), needing nothing else installed.
// Usage: npm run build -w weapp-auth-web   (or: node scripts/build.mjs --out <dir>)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** Builds into `root` (default: this package); returns the files' paths. */
export async function buildWeb(root = PACKAGE) {
  const dist = join(root, 'dist');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const files = { esm: join(dist, 'index.js'), types: join(dist, 'index.d.ts') };
  await build({
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2018',
    legalComments: 'none',
    logLevel: 'silent',
    entryPoints: [join(PACKAGE, 'src/index.ts')],
    outfile: files.esm,
  });
  const types = join(dist, 'types');
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin/tsc');
  const args = ['-p', 'tsconfig.json', '--noEmit', 'false', '--emitDeclarationOnly', '--outDir', types];
  const r = spawnSync(process.execPath, [tsc, ...args], { cwd: PACKAGE, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  // Relative imports as the emitted files are named.
  for (const name of readdirSync(types)) {
    const file = join(types, name);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(from '\.\/[\w-]+)\.ts'/g, "$1.js'"));
  }
  writeFileSync(files.types, "export * from './types/index.js';\n");
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = resolve(values.out ?? PACKAGE);
  await buildWeb(out);
  process.stdout.write(`built weapp-auth-web into ${out}\n`);
}
