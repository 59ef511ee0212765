import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const clientDir = join(root, 'packages/miniprogram');

/** Runs `command`; throws with its output unless it exits 0. */
export function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Where test files running side by side take turns: `npm pack` rebuilds the package's dist/ in place. */
const PACK_LOCK = join(clientDir, '.pack.lock');

/**
 * Runs `fn` while no other test process packs the client: two prepack builds at once delete each
 * other's dist/ (seen as `npm error code EOF … dist/types/http.d.ts`). The lock is a directory
 * (mkdir is atomic); one older than 5 minutes is left over from a killed run and taken over.
 */
function whileHoldingPackLock<T>(fn: () => T): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(PACK_LOCK);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(PACK_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 5 * 60_000) rmSync(PACK_LOCK, { recursive: true, force: true });
      else Atomics.wait(pause, 0, 0, 100);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(PACK_LOCK, { recursive: true, force: true });
  }
}

/** `npm pack` of the client package, as `npm publish` would make it (prepack builds it). */
export function packClient(into: string): string {
  mkdirSync(into, { recursive: true });
  const out = whileHoldingPackLock(() => run('npm', ['pack', '--json', '--pack-destination', into], clientDir));
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as [{ filename: string }];
  return join(into, filename);
}

/** A directory outside the repository (no node_modules above it to lean on), removed by `dispose`. */
export function scratch(prefix: string): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `npm install <tarball>` in `dir`, offline: the client package has no dependencies to fetch. */
export function installTarball(dir: string, tarball: string, manifest: Record<string, unknown> = {}): void {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, ...manifest })}\n`);
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], dir);
}
