import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));

export interface DevProcess {
  /** The URLs `weapp-auth dev` printed, by their label (server, emulator, playground). */
  urls: Record<string, string>;
  /** Everything it printed so far. */
  output(): string;
  /** The empty directory it runs in (its ./data lands there). */
  dir: string;
  stop(): void;
}

/**
 * `weapp-auth dev` as `npm start` runs it, on free ports in an empty directory; resolves once it
 * has printed the URLs of every label in `waitFor`.
 */
export async function startDevProcess(waitFor: string[] = ['server', 'emulator']): Promise<DevProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-dev-'));
  const child: ChildProcess = spawn(process.execPath, [bin, 'dev', '--emulator-port', '0'], {
    cwd: dir,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const urls = await new Promise<Record<string, string>>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      output += String(d);
      const found = Object.fromEntries(
        waitFor.map((label) => [label, new RegExp(`${label}\\s+(http://\\S+)`).exec(output)?.[1]]),
      );
      if (waitFor.every((label) => found[label])) resolve(found as Record<string, string>);
    });
    child.once('exit', (code) => reject(new Error(`dev exited with ${code}: ${output}`)));
  });
  return {
    urls,
    dir,
    output: () => output,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
