import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isRunning } from '../../src/cli/dev-state.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Set by scripts/run-tests.mjs for every file of one `npm test`; a file run alone builds for itself. */
const run = process.env.WEAPP_TEST_RUN ?? `pid-${process.pid}`;
const stamp = join(root, 'playground_dist', '.test-run');
const lock = join(
  tmpdir(),
  `weapp-auth-playground-build-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`,
);

/**
 * The client package, the web module and the playground page (scripts/build-miniprogram.mjs),
 * built once per test run. Every playground test file used to rebuild them in its `before`; with
 * two files running at once (run-tests.mjs), one file's build deleted playground_dist/ while the
 * other's browser was loading the page, and each test of that file timed out waiting for the phone
 * (CI, Node 24, once). Now the first file to come builds under a lock and leaves the run's stamp;
 * the others find it and build nothing.
 */
export async function buildPlaygroundOnce(): Promise<void> {
  await withLock(() => {
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === run) return;
    const build = spawnSync(process.execPath, [join(root, 'scripts/build-miniprogram.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, build.stdout + build.stderr);
    writeFileSync(stamp, run);
  });
}

async function withLock(fn: () => void): Promise<void> {
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Held by a process that died mid-build: take it over.
    const holder = Number(readFileSync(lock, 'utf8') || Number.NaN);
    if (Number.isInteger(holder) && !isRunning(holder)) rmSync(lock, { force: true });
    else await sleep(100);
  }
  try {
    fn();
  } finally {
    unlinkSync(lock);
  }
}
