import type { Command } from 'commander';
import { buildServer } from '../../server/app.ts';
import { createServerContext } from '../../server/services.ts';
import { configFromEnvironment } from '../env.ts';

/** `weapp-auth serve`: the production server, configured from the environment. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the auth server (configuration from the environment and .env; see README)')
    .action(async () => {
      const config = configFromEnvironment();
      const ctx = await createServerContext(config);
      const app = await buildServer(ctx);
      app.addHook('onClose', () => ctx.close());
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          app.log.info({ signal }, 'shutting down');
          void app.close().then(() => process.exit(0));
        });
      }
      await app.listen({ host: config.host, port: config.port });
    });
}
