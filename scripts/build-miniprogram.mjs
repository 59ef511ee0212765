#!/usr/bin/env node
// Builds what runs outside Node: the client package (packages/miniprogram: miniprogram_dist/ and
// dist/) and the playground page (playground_dist/), which loads that package's ESM build from
// playground_dist/sdk/ so the playground proves the published file, not just the sources.
// Usage: npm run build:miniprogram   (or: node scripts/build-miniprogram.mjs --only sdk|playground)
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { buildClient } from '../packages/miniprogram/scripts/build.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = join(ROOT, 'packages/miniprogram');

/** The playground: its page and styles, its script bundled with the stand-in, and the built SDK. */
async function buildPlayground() {
  const out = join(ROOT, 'playground_dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'sdk'), { recursive: true });
  cpSync(join(ROOT, 'src/playground/public'), out, { recursive: true });
  cpSync(join(CLIENT, 'dist/index.mjs'), join(out, 'sdk/index.mjs'));
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
        },
      },
    ],
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  if (values.only !== 'playground') await buildClient();
  if (values.only !== 'sdk') await buildPlayground();
  process.stdout.write(`built ${values.only ?? 'the client package and the playground'}\n`);
}
