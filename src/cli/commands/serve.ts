import type { Command } from 'commander';
import { buildServer } from '../../server/app.ts';
import { gracefulShutdown, installProcessPolicy } from '../../server/lifecycle.ts';
import { createServerContext, type OwnedServerContext } from '../../server/services.ts';
import { configFromEnvironment } from '../env.ts';
import { exitWithStartupProblem } from '../startup-problem.ts';

/** `weapp-auth serve`: the production server, configured from the environment. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the auth server (configuration from the environment and .env; see README)')
    .action(async () => {
      const config = configFromEnvironment();
      let ctx: OwnedServerContext;
      try {
        ctx = await createServerContext(config);
      } catch (err) {
        // A database or Redis that cannot be reached at start is a setting to fix: one line, exit 2.
        exitWithStartupProblem(err, config);
      }
      const app = await buildServer(ctx);
      app.addHook('onClose', () => ctx.close());
      const shutdown = gracefulShutdown(app, ctx.lifecycle, {
        delayMs: config.shutdownDelayMs,
        timeoutMs: config.shutdownTimeoutMs,
      });
      installProcessPolicy(app.log, shutdown);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.on(signal, () => void shutdown(signal));
      }
      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (err) {
        await ctx.close();
        exitWithStartupProblem(err, config);
      }
    });
}
