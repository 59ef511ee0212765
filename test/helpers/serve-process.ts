import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/cli/free-port.ts';
import { bin } from './dev-process.ts';

export interface ServeProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  /** Its stdout (pino's JSON lines) and stderr, so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  exited: Promise<number | string>;
  /** The exit code or signal once it has exited; undefined while it runs. */
  exitStatus(): number | string | undefined;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it lingers; removes its directory. */
  stop(): Promise<void>;
}

/**
 * `weapp-auth serve` as production runs it — its own process, configured from the environment —
 * on 127.0.0.1 and a free port, in an empty directory (no .env, a SQLite file and avatars of its
 * own unless `env` says otherwise). `env` is all it gets besides PATH: nothing of this shell's
 * configuration leaks in. Resolves once /healthz answers; rejects with its output if it exits first.
 */
export async function startServeProcess(env: Record<string, string>): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-serve-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [bin, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(dir, 'serve.db')}`,
      AVATAR_DIR: join(dir, 'avatars'),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  let status: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      status = code ?? signal ?? 'unknown';
      resolve(status);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (status === undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Up once it answers; tsx compiles the sources first, which takes a few seconds.
  for (let waited = 0; ; waited += 100) {
    if (status !== undefined) {
      await stop();
      throw new Error(`serve exited with ${status} before answering:\n${stdout}${stderr}`);
    }
    const up = await fetch(`${url}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) break;
    if (waited > 60_000) {
      await stop();
      throw new Error(`serve did not answer within 60 s:\n${stdout}${stderr}`);
    }
    await sleep(100);
  }
  return {
    url,
    port,
    pid: child.pid ?? 0,
    output: () => ({ stdout, stderr }),
    exited,
    exitStatus: () => status,
    kill: (signal = 'SIGTERM') => {
      if (status === undefined) child.kill(signal);
    },
    stop,
  };
}
