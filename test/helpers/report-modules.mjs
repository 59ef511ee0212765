// Preloaded into a `serve` process by test/cli/serve-modules.test.ts (NODE_OPTIONS=--import):
// on SIGUSR2 it writes one line to stderr naming the packages loaded so far (CommonJS ones, as
// found in require.cache, which holds those an ES module imported too) and whether Node loaded
// its bundled undici (the fetch globals' implementation).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

process.on('SIGUSR2', () => {
  const files = Object.keys(require.cache);
  const packages = [
    ...new Set(files.map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1]).filter(Boolean)),
  ];
  const undiciIndex = files.some((file) => file.endsWith('/node_modules/undici/index.js'));
  const bundledUndici = process.moduleLoadList.some((name) => name.includes('internal/deps/undici/undici'));
  process.stderr.write(`loaded modules: ${JSON.stringify({ packages, undiciIndex, bundledUndici })}\n`);
});
