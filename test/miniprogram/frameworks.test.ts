import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, it } from 'node:test';
import { build } from 'esbuild';
import { installTarball, packClient, root, scratch } from './client-package.ts';

// Taro and uni-app build a mini program by bundling (webpack, Vite): the fixtures in examples/taro
// and examples/uni-app import the packed client package and must typecheck with Taro's and uni's
// own types passed as `wx` (no cast), and bundle without a Node built-in.
const FIXTURES = { taro: join(root, 'examples/taro/auth.ts'), uni: join(root, 'examples/uni-app/auth.ts') };

let consumer: { dir: string; dispose(): void };

before(() => {
  consumer = scratch('weapp-auth-frameworks-');
  installTarball(consumer.dir, packClient(join(consumer.dir, 'packed')), { type: 'module' });
  copyFileSync(FIXTURES.taro, join(consumer.dir, 'taro.ts'));
  copyFileSync(FIXTURES.uni, join(consumer.dir, 'uni.ts'));
});
after(() => consumer.dispose());

const tsconfig = (name: string, file: string, extra: Record<string, unknown>) => {
  const compilerOptions = {
    strict: true,
    noEmit: true,
    module: 'esnext',
    moduleResolution: 'bundler',
    target: 'es2018',
    lib: ['es2018', 'dom'],
    skipLibCheck: true,
    // The frameworks' types come from this repository's devDependencies.
    typeRoots: [join(root, 'node_modules/@types'), join(root, 'node_modules')],
    ...extra,
  };
  writeFileSync(join(consumer.dir, name), JSON.stringify({ compilerOptions, files: [file] }));
  return spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', name], {
    cwd: consumer.dir,
    encoding: 'utf8',
  });
};

it('Taro: createAuth({ wx: Taro }) typechecks with @tarojs/taro, no cast', () => {
  const r = tsconfig('tsconfig.taro.json', 'taro.ts', {
    types: [],
    paths: { '@tarojs/taro': [join(root, 'node_modules/@tarojs/taro')] },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

it('uni-app: createAuth({ wx: uni }) typechecks with @dcloudio/types, no cast', () => {
  const r = tsconfig('tsconfig.uni.json', 'uni.ts', { types: ['@dcloudio/types'] });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

for (const [name, file] of [
  ['Taro', 'taro.ts'],
  ['uni-app', 'uni.ts'],
] as const) {
  it(`${name}: bundles with the package's ESM build and no Node built-in`, async () => {
    const result = await build({
      entryPoints: [join(consumer.dir, file)],
      absWorkingDir: consumer.dir,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      // "neutral": no Node built-in resolves, so one imported anywhere fails the build.
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2017',
      external: ['@tarojs/taro'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).map((p) => relative(consumer.dir, join(consumer.dir, p)));
    assert.deepEqual(inputs.sort(), ['node_modules/weapp-auth-miniprogram/dist/index.mjs', file].sort());
    const code = result.outputFiles[0]?.text ?? '';
    assert.doesNotMatch(code, /require\(|from ["']node:|\bprocess\.|\bBuffer\b/);
  });
}
