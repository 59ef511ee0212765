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
  pid: number;
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  exited: Promise<number | string>;
  /** SIGTERM; resolves once it has exited and its directory is removed. */
  stop(): Promise<void>;
}

export interface DevProcessOptions {
  /** Arguments after `dev`; default `--emulator-port 0` (with PORT=0: free ports). */
  args?: string[];
  /** Environment on top of this process's; default PORT=0. An undefined value removes the variable. */
  env?: Record<string, string | undefined>;
}

/**
 * `weapp-auth dev` as `npm start` runs it, on free ports in an empty directory; resolves once it
 * has printed the URLs of every label in `waitFor`, rejects with its output if it exits first.
 */
export async function startDevProcess(
  waitFor: string[] = ['server', 'emulator'],
  options: DevProcessOptions = {},
): Promise<DevProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-dev-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    LOG_LEVEL: 'warn',
    ...(options.env ?? { PORT: '0' }),
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child: ChildProcess = spawn(process.execPath, [bin, 'dev', ...(options.args ?? ['--emulator-port', '0'])], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const urls = await new Promise<Record<string, string>>((resolve, reject) => {
      child.stdout?.on('data', (d) => {
        output += String(d);
        const found = Object.fromEntries(
          waitFor.map((label) => [label, new RegExp(`${label}\\s+(http://\\S+)`).exec(output)?.[1]]),
        );
        if (waitFor.every((label) => found[label])) resolve(found as Record<string, string>);
      });
      void exited.then((status) => reject(new Error(`dev exited with ${status}: ${output}`)));
    });
    return { urls, dir, pid: child.pid ?? 0, exited, output: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
