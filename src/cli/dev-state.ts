import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where a running `weapp-auth dev` records its URLs, for `weapp-auth demo` to find it. */
export const DEV_STATE_PATH = './data/dev.json';

export interface DevState {
  server: string;
  emulator: string;
  playground: string;
  pid: number;
}

export function writeDevState(state: DevState, path = DEV_STATE_PATH): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** Removes the record, if it is still this process's (a second dev in the same folder replaced it). */
export function removeDevState(pid = process.pid, path = DEV_STATE_PATH): void {
  if (readRecord(path)?.pid === pid) rmSync(path, { force: true });
}

/**
 * The URLs of the dev stack running from this folder, or undefined when none runs: no record, an
 * unreadable one, or one left behind by a dev that was killed (its process is gone).
 */
export function readDevState(path = DEV_STATE_PATH): DevState | undefined {
  const state = readRecord(path);
  return state && isRunning(state.pid) ? state : undefined;
}

function readRecord(path: string): DevState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const { server, emulator, playground, pid } = (value ?? {}) as Record<string, unknown>;
  if (typeof server !== 'string' || typeof emulator !== 'string' || typeof pid !== 'number') return undefined;
  return { server, emulator, playground: typeof playground === 'string' ? playground : '', pid };
}

/** Whether process `pid` is alive (signal 0 asks without sending). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
