import autocannon from 'autocannon';
import { cpuMs, rssMb, type ServerProcess } from './processes.ts';

export interface LoadSpec {
  method: 'GET' | 'POST';
  path: string;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
  /** A body per request (a fresh wx.login code, this connection's refresh token). */
  body?: (context: Record<string, unknown>) => string;
  /** Sees every answer on its connection (a refresh chain keeps its newest token). */
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

export interface LoadResult {
  /** 2xx answers per second. */
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU (its whole process tree) per 2xx answer. */
  cpuMsPerRequest: number;
  /** The CPU of the server's event loops (main threads) per 2xx answer: the part one loop cannot share. */
  loopMsPerRequest: number;
  /** Peak resident memory of the server's process tree during the run. */
  peakRssMb: number;
  /** Answers other than 2xx, plus connection errors and timeouts: 0 in a sound run. */
  failures: number;
}

/** Drives `server` with autocannon from this process (the load generator, apart from server and emulator). */
export async function runLoad(server: ServerProcess, spec: LoadSpec): Promise<LoadResult> {
  const cpuBefore = cpuMs(server.pid);
  const loopBefore = cpuMs(server.pid, true);
  let peakRssMb = rssMb(server.pid);
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, rssMb(server.pid));
  }, 250);
  const headers = { ...(spec.body && { 'content-type': 'application/json' }), ...spec.headers };
  const { body, onResponse } = spec;
  try {
    const result = await autocannon({
      url: server.url,
      connections: spec.connections,
      duration: spec.durationSeconds,
      timeout: 30,
      requests: [
        {
          method: spec.method,
          path: spec.path,
          headers,
          ...(body && {
            setupRequest: (request: autocannon.Request, context: Record<string, unknown>) => ({
              ...request,
              body: body(context),
            }),
          }),
          ...(onResponse && { onResponse }),
        },
      ] as autocannon.Request[],
    });
    const ok = result['2xx'];
    return {
      rps: ok / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuMsPerRequest: ok > 0 ? (cpuMs(server.pid) - cpuBefore) / ok : Number.NaN,
      loopMsPerRequest: ok > 0 ? (cpuMs(server.pid, true) - loopBefore) / ok : Number.NaN,
      peakRssMb: Math.max(peakRssMb, rssMb(server.pid)),
      failures: result.non2xx + result.errors + result.timeouts,
    };
  } finally {
    clearInterval(sampler);
  }
}
