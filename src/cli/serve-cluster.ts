import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import type { Config } from '../config/config.ts';
import { serveClusterMetrics } from '../server/cluster-metrics.ts';
import { loggerOptions } from '../server/logger.ts';
import { createMetrics } from '../server/metrics.ts';
import { createServerContext } from '../server/services.ts';
import { workerExecArgv } from './heap-policy.ts';
import { exitWithStartupProblem } from './startup-problem.ts';

/** The first restart waits this; each further exit within RESTART_WINDOW_MS doubles it, up to MAX. */
const RESTART_BASE_MS = 250;
const RESTART_MAX_MS = 10_000;
const RESTART_WINDOW_MS = 60_000;
/** Workers that die before listening this many times in a row: a crash loop, not bad luck. */
const MAX_START_FAILURES = 5;
/** Past SHUTDOWN_TIMEOUT_MS every worker has exited by its own timer; this is for the process exit itself. */
const EXIT_MARGIN_MS = 1000;

/**
 * The primary of `serve --workers n`: it serves nothing itself. It opens the database once
 * (migrations, and the first signing key, so workers never race to create one) and checks Redis,
 * then forks the workers, which share the listening port (node:cluster hands connections round
 * robin). A worker that dies is replaced, after a backoff that grows while workers keep dying;
 * workers that cannot even start end the whole process with exit 2. SIGTERM/SIGINT: every worker
 * drains by the one-process path (src/server/lifecycle.ts) and the primary exits when all are gone.
 */
export async function superviseWorkers(config: Readonly<Config>, count: number): Promise<void> {
  const log = pino({ ...loggerOptions(config.logLevel), base: { pid: process.pid, role: 'primary' } });
  try {
    const ctx = await createServerContext(config, { log, metrics: createMetrics({ defaultMetrics: false }) });
    await ctx.close();
  } catch (err) {
    exitWithStartupProblem(err, config);
  }
  serveClusterMetrics();

  const live = new Map<number, { pid: number; listening: boolean }>();
  const recentExits: number[] = [];
  const restarts = new Set<NodeJS.Timeout>();
  let everListened = false;
  let startFailures = 0;
  let stopping = false;
  let exitCode = 0;

  const fork = () => {
    const worker = cluster.fork();
    live.set(worker.id, { pid: worker.process.pid ?? 0, listening: false });
    log.info({ workerPid: worker.process.pid }, 'worker started');
  };
  const stop = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    log.info({ reason, workers: live.size, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: every worker drains');
    for (const timer of restarts) clearTimeout(timer);
    for (const worker of workers()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      log.error({ workers: live.size }, 'workers still running past SHUTDOWN_TIMEOUT_MS: killing them');
      for (const worker of workers()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutMs + EXIT_MARGIN_MS);
    if (live.size === 0) process.exit(exitCode);
  };
  const giveUp = (line: string) => {
    process.stderr.write(`${line}\n`);
    stop('workers fail at start', 2);
  };

  cluster.on('listening', (worker) => {
    const state = live.get(worker.id);
    if (!state || state.listening) return;
    state.listening = true;
    everListened = true;
    startFailures = 0;
    log.info({ workerPid: state.pid }, 'worker listening');
  });
  cluster.on('exit', (worker, code, signal) => {
    const state = live.get(worker.id);
    live.delete(worker.id);
    if (stopping) {
      if (code !== 0 && exitCode === 0) exitCode = 1;
      if (live.size === 0) process.exit(exitCode);
      return;
    }
    const now = Date.now();
    recentExits.push(now);
    while ((recentExits[0] ?? now) < now - RESTART_WINDOW_MS) recentExits.shift();
    if (!state?.listening) {
      startFailures++;
      // Exit 2 is a start-up problem the worker has explained in one line (a port taken, a
      // database or Redis unreachable): at first start, trying again would only repeat it.
      if (code === 2 && !everListened)
        return giveUp('weapp-auth serve: a worker could not start (see above); stopping.');
      if (startFailures >= MAX_START_FAILURES) {
        return giveUp(
          `weapp-auth serve: workers failed ${startFailures} times in a row before listening ` +
            `(last exit ${signal ?? code}); stopping. The lines above say why.`,
        );
      }
    }
    const delayMs = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (recentExits.length - 1));
    log.error({ workerPid: state?.pid, code, signal, restartInMs: delayMs }, 'worker exited: starting another');
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delayMs);
    restarts.add(timer);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(signal, 0));

  log.info({ workers: count }, 'starting workers');
  cluster.setupPrimary({ execArgv: workerExecArgv() });
  for (let i = 0; i < count; i++) fork();
}

function workers(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
}
