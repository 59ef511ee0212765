import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/cli/free-port.ts';

/** A server under test, in its own process (and its workers', if it forks). */
export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `node <args>` with `env` (and PATH only), on a free port; resolves once it answers HTTP. */
export async function startServer(
  name: string,
  args: string[],
  env: Record<string, string>,
  probePath = '/',
): Promise<ServerProcess> {
  const port = await freePort();
  // BENCH_NODE_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to see where a row's time goes.
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    // Logs go where a deployment's collector would take them from; /dev/null costs the same writes.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`${name} exited before answering:\n${stderr}`);
    if (
      await fetch(`${url}${probePath}`).then(
        () => true,
        () => false,
      )
    )
      break;
    if (waited > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer within 60 s:\n${stderr}`);
    }
    await sleep(100);
  }
  return {
    name,
    url,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The emulator process: mints codes and sets WeChat's latency on request (bench/processes/emulator.mjs). */
export interface EmulatorProcess {
  url: string;
  codes(prefix: string, users: number, n: number): Promise<string[]>;
  setLatency(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(root: string, appid: string, secret: string): Promise<EmulatorProcess> {
  const child: ChildProcess = fork(new URL('./processes/emulator.mjs', import.meta.url), {
    env: { PATH: process.env.PATH ?? '', BENCH_ROOT: root, BENCH_APPID: appid, BENCH_SECRET: secret },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiting = new Map<number, (message: { codes?: string[] }) => void>();
  const ready = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    child.on('message', (message: { ready?: boolean; url?: string; id?: number; codes?: string[] }) => {
      if (message.ready) resolve(message.url ?? '');
      else if (message.id !== undefined) waiting.get(message.id)?.(message);
    });
  });
  const ask = (message: Record<string, unknown>) =>
    new Promise<{ codes?: string[] }>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.send({ ...message, id });
    });
  return {
    url: await ready,
    codes: async (prefix, users, n) => (await ask({ type: 'codes', prefix, users, n })).codes ?? [],
    setLatency: async (ms) => {
      await ask({ type: 'latency', ms });
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

/** The process and its descendants (cluster workers). */
function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${pids[i]}/task`)) {
        const children = readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(' ').map(Number));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, ms) of the process tree so far; with `loops`, of each process's main
 * thread only (the event loop's, the one a Node server is bound by; not its worker threads').
 */
export function cpuMs(pid: number, loops = false): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const stat = readFileSync(loops ? `/proc/${p}/task/${p}/stat` : `/proc/${p}/stat`, 'utf8');
      const fields = stat.split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone meanwhile.
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Resident memory (MB) of the process tree now. */
export function rssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone meanwhile.
    }
  }
  return kb / 1024;
}
