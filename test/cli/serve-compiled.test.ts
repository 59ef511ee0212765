import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bin } from '../helpers/dev-process.ts';

/**
 * Which code `weapp-auth serve` runs (issue 11: production starts compiled JavaScript, without the
 * tsx loader's memory and start-up time). bin/weapp-auth.js is run for real, in a copy of the
 * checkout's layout whose two entry points only say which of them ran: dist/cli/main.js (the
 * build) and src/cli/main.ts (the sources, through tsx).
 */

const run = promisify(execFile);
let root = '';
const source = () => join(root, 'src/cli/main.ts');
const compiled = () => join(root, 'dist/cli/main.js');
const hourAgo = new Date(Date.now() - 3_600_000);
const now = () => new Date();

before(() => {
  root = mkdtempSync(join(tmpdir(), 'weapp-auth-bin-'));
  mkdirSync(join(root, 'bin'));
  copyFileSync(bin, join(root, 'bin/weapp-auth.js'));
  // tsx, as the checkout has it.
  symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(root, 'node_modules'), 'dir');
  mkdirSync(join(root, 'src/cli'), { recursive: true });
  mkdirSync(join(root, 'dist/cli'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  writeFileSync(source(), "const ran: string = 'src/cli/main.ts';\nconsole.log(ran);\n");
  writeFileSync(compiled(), "console.log('dist/cli/main.js');\n");
});

after(() => rmSync(root, { recursive: true, force: true }));

async function start(command: string): Promise<{ ran: string; said: string }> {
  const { stdout, stderr } = await run(process.execPath, [join(root, 'bin/weapp-auth.js'), command], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '' },
  });
  return { ran: stdout.trim(), said: stderr.trim() };
}

it('serve runs the build when it is newer than every source file, and says so', async () => {
  utimesSync(source(), hourAgo, hourAgo);
  utimesSync(compiled(), now(), now());
  assert.deepEqual(await start('serve'), {
    ran: 'dist/cli/main.js',
    said: 'weapp-auth serve: running the compiled build in dist/',
  });
});

it('serve runs the sources through tsx when one of them is newer than the build', async () => {
  utimesSync(compiled(), hourAgo, hourAgo);
  utimesSync(source(), now(), now());
  const { ran, said } = await start('serve');
  assert.equal(ran, 'src/cli/main.ts');
  assert.match(said, /dist\/ is older than src\/, so running src\/ through tsx \(npm run build to run compiled\)/);
});

it('every other command runs the sources in a checkout, built or not', async () => {
  utimesSync(source(), hourAgo, hourAgo);
  utimesSync(compiled(), now(), now());
  assert.deepEqual(await start('migrate'), { ran: 'src/cli/main.ts', said: '' });
});

it('an installed package (dist/ only) runs the build, quietly', async () => {
  rmSync(join(root, 'src'), { recursive: true });
  assert.deepEqual(await start('serve'), { ran: 'dist/cli/main.js', said: '' });
});
