#!/usr/bin/env node
// Builds what runs outside Node: the client package (packages/miniprogram: miniprogram_dist/ and
// dist/), the website's module (packages/web: dist/) and the playground page (playground_dist/),
// which loads their ESM builds from playground_dist/sdk/ and web/ so the playground proves the
// published files, not just the sources.
// Usage: npm run build:miniprogram   (or: node scripts/build-miniprogram.mjs --only sdk|playground)
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { buildClient } from '../packages/miniprogram/scripts/build.mjs';
import { buildWeb } from '../packages/web/scripts/build.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = join(ROOT, 'packages/miniprogram');
const WEB = join(ROOT, 'packages/web');

/** The playground: its page and styles, its script bundled with the stand-in, the built SDK and web module. */
async function buildPlayground() {
  const out = join(ROOT, 'playground_dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'sdk'), { recursive: true });
  mkdirSync(join(out, 'web'), { recursive: true });
  cpSync(join(ROOT, 'src/playground/public'), out, { recursive: true });
  cpSync(join(CLIENT, 'dist/index.mjs'), join(out, 'sdk/index.mjs'));
  // `--only playground` on a checkout where the web module was never built builds it first.
  if (!existsSync(join(WEB, 'dist/index.js'))) await buildWeb();
  cpSync(join(WEB, 'dist/index.js'), join(out, 'web/index.js'));
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
        // The page loads the SDK as published (the package's dist/index.mjs, served at ./sdk/).
        name: 'published-sdk',
        setup(b) {
          b.onResolve({ filter: /packages\/miniprogram\/src\/index\.ts$/ }, () => ({
            path: './sdk/index.mjs',
            external: true,
          }));
          // Likewise the website's module (packages/web's dist/index.js, served at ./web/).
          b.onResolve({ filter: /packages\/web\/src\/index\.ts$/ }, () => ({ path: './web/index.js', external: true }));
        },
      },
    ],
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  if (values.only !== 'playground') {
    await buildClient();
    await buildWeb();
  }
  if (values.only !== 'sdk') await buildPlayground();
  process.stdout.write(`built ${values.only ?? 'the client package and the playground'}\n`);
}
