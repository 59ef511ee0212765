import cluster from 'node:cluster';
import type { Server } from 'node:net';
import type { Command } from 'commander';
import type { Config } from '../../config/config.ts';
import { listenOnSharedPort } from '../../server/acceptors.ts';
import { buildServer } from '../../server/app.ts';
import { clusterWorkerMetrics } from '../../server/cluster-metrics.ts';
import { gracefulShutdown, installProcessPolicy } from '../../server/lifecycle.ts';
import { createMetrics } from '../../server/metrics.ts';
import { createServerContext, type OwnedServerContext } from '../../server/services.ts';
import { configFromEnvironment } from '../env.ts';
import { limitHeapGrowth, limitYoungGeneration } from '../heap-policy.ts';
import { superviseWorkers } from '../serve-cluster.ts';
import { exitWithStartupProblem } from '../startup-problem.ts';
import { workerCount } from '../workers.ts';

/** `weapp-auth serve`: the production server, configured from the environment. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the auth server (configuration from the environment and .env; see README)')
    .option(
      '--workers <n|auto>',
      'worker processes sharing the port: a number, or auto for one per core (default: WORKERS, else 1); more than 1 needs REDIS_URL',
    )
    .action(async (options: { workers?: string }) => {
      const config = configFromEnvironment();
      // A worker of `serve --workers` runs this same command; the primary has checked the rest.
      if (cluster.isWorker) return serveOneProcess(config, true);
      const count = workerCount(options.workers ?? process.env.WORKERS, config);
      if (count === 1) return serveOneProcess(config, false);
      await superviseWorkers(config, count);
    });
}

/** One server process: the whole instance, or one worker of a cluster (migrated by the primary). */
async function serveOneProcess(config: Readonly<Config>, worker: boolean): Promise<void> {
  limitHeapGrowth();
  let ctx: OwnedServerContext;
  try {
    ctx = await createServerContext(
      config,
      worker ? { migrate: false, metrics: clusterWorkerMetrics(createMetrics()) } : {},
    );
  } catch (err) {
    // A database or Redis that cannot be reached at start is a setting to fix: one line, exit 2.
    exitWithStartupProblem(err, config);
  }
  const app = await buildServer(ctx);
  // A worker's young generation was sized on its command line (workerExecArgv).
  if (!worker) limitYoungGeneration(app.server);
  app.addHook('onClose', () => ctx.close());
  let acceptors: Server[] = [];
  const shutdown = gracefulShutdown(app, ctx.lifecycle, {
    delayMs: config.shutdownDelayMs,
    timeoutMs: config.shutdownTimeoutMs,
    acceptors: () => acceptors,
  });
  installProcessPolicy(app.log, shutdown);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void shutdown(signal));
  }
  try {
    // A worker's connections come from the primary, which accepts them for all.
    if (worker) await app.listen({ host: config.host, port: config.port });
    else acceptors = await listenOnSharedPort(app, { host: config.host, port: config.port });
  } catch (err) {
    await ctx.close();
    exitWithStartupProblem(err, config);
  }
}
