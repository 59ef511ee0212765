import { setTimeout as sleep } from 'node:timers/promises';
import type { ServeProcess } from '../helpers/serve-process.ts';

/** pino's JSON lines in `stdout`, the others skipped. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

export interface Answered {
  pid: number;
  url: string | undefined;
  status: number | undefined;
}

/**
 * One record per request a worker logged: its pid, path and status, from the request's log
 * line(s), which share pid and reqId.
 */
export function answeredBy(stdout: string): Answered[] {
  const requests = new Map<string, Answered>();
  for (const line of jsonLines(stdout)) {
    if (line.reqId === undefined || typeof line.pid !== 'number') continue;
    const key = `${line.pid}:${String(line.reqId)}`;
    const record = requests.get(key) ?? { pid: line.pid, url: undefined, status: undefined };
    // One line per request ({url, status}), or Fastify's two ({req: {url}} then {res: {statusCode}}).
    const req = line.req as { url?: string } | undefined;
    const res = line.res as { statusCode?: number } | undefined;
    record.url ??= typeof line.url === 'string' ? line.url : req?.url;
    record.status ??= typeof line.status === 'number' ? line.status : res?.statusCode;
    requests.set(key, record);
  }
  return [...requests.values()];
}

/** What the primary said about its workers: started, listening, exited. */
export function workerEvents(stdout: string): { msg: string; workerPid: number; signal?: string }[] {
  return jsonLines(stdout)
    .filter((l) => l.role === 'primary' && typeof l.workerPid === 'number')
    .map((l) => ({ msg: String(l.msg), workerPid: l.workerPid as number, signal: l.signal as string | undefined }));
}

/** Waits until `total` workers have ever listened; resolves with the pids of those still alive. */
export async function untilWorkersListening(serve: ServeProcess, total: number): Promise<number[]> {
  for (let waited = 0; waited < 120_000; waited += 50) {
    const events = workerEvents(serve.output().stdout);
    const listening = events.filter((e) => e.msg === 'worker listening').map((e) => e.workerPid);
    if (listening.length >= total) {
      const exited = new Set(events.filter((e) => e.msg.startsWith('worker exited')).map((e) => e.workerPid));
      return listening.filter((pid) => !exited.has(pid));
    }
    if (serve.exitStatus() !== undefined) break;
    await sleep(50);
  }
  const { stdout, stderr } = serve.output();
  throw new Error(`${total} workers never listened (serve ${serve.exitStatus() ?? 'running'}):\n${stdout}${stderr}`);
}
