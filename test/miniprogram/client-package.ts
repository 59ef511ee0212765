import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** `npm pack` of the client package, as `npm publish` would make it (prepack builds it). */
export function packClient(into: string): string {
  mkdirSync(into, { recursive: true });
  const out = run('npm', ['pack', '--json', '--pack-destination', into], clientDir);
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
