import type { Command } from 'commander';
import { startEmulator } from '../../emulator/index.ts';
import { PLAYGROUND_PREFIX, playgroundProblem, registerPlayground } from '../../playground/routes.ts';
import { buildServer } from '../../server/app.ts';
import { createServerContext } from '../../server/services.ts';
import { DEMO_APP, DEV_PORTS, devSecretKey } from '../dev-defaults.ts';
import { configFromEnvironment } from '../env.ts';
import { freePort } from '../free-port.ts';

/** `weapp-auth dev`: the whole stack offline — emulator, server on SQLite, the demo app. */
export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('run the emulator and the server on SQLite with a demo mini program, all offline')
    .option('--emulator-port <port>', 'where the WeChat emulator listens', String(DEV_PORTS.emulator))
    .action(async (flags: { emulatorPort: string }) => {
      const emulatorPort = Number(flags.emulatorPort);
      const emulator = await startEmulator({
        host: '127.0.0.1',
        port: emulatorPort,
        apps: [{ ...DEMO_APP, name: 'weapp-auth demo', openPlatform: 'demo-open-platform' }],
        sessionKeyRotation: 'sometimes',
        logger: false,
      });
      // PORT=0 ("any free port") is resolved before the config is frozen: the default PUBLIC_URL,
      // which avatar URLs are built on, must name the port the server really listens on.
      const config = configFromEnvironment(
        {
          apps: `${DEMO_APP.appid}:${DEMO_APP.secret}`,
          secretKey: devSecretKey(),
          wechatApiBase: emulator.url,
          databaseUrl: 'sqlite:./data/dev.db',
          host: '127.0.0.1',
        },
        process.env.PORT?.trim() === '0' ? { PORT: String(await freePort()) } : {},
      );
      const ctx = await createServerContext(config);
      const app = await buildServer(ctx);
      // On the server's own instance: the page calls the API from the same origin.
      await registerPlayground(app, { emulator, appid: DEMO_APP.appid });
      app.addHook('onClose', async () => {
        await ctx.close();
        await emulator.close();
      });
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => void app.close().then(() => process.exit(0)));
      }
      await app.listen({ host: config.host, port: config.port });
      const server = `http://127.0.0.1:${config.port}`;
      process.stdout.write(walkthrough(server, emulator.url, config.databaseUrl));
      const problem = playgroundProblem();
      if (problem) process.stdout.write(`note: ${problem}\n\n`);
    });
}

function walkthrough(server: string, emulator: string, database: string): string {
  const app = DEMO_APP.appid;
  return `
weapp-auth dev is running, offline.

  playground  ${server}${PLAYGROUND_PREFIX}/        (open it: the tutorial's mini program, traced)
              logged in, it picks an avatar, saves a nickname and binds the phone number (shown masked)
  server      ${server}        (API docs: ${server}/docs)
  emulator    ${emulator}        (WeChat's api.weixin.qq.com, plus the phone at /__emulator)
  database    ${database}
  demo app    ${app}

Walk the login flow by hand (or run \`npm run demo\`):

  # 1. the phone: wx.login for user "alice"
  CODE=$(curl -s -XPOST ${emulator}/__emulator/login -H 'content-type: application/json' \\
    -d '{"appid":"${app}","user":"alice"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).code')

  # 2. the mini program sends the code to your backend
  curl -s -XPOST ${server}/v1/login -H 'content-type: application/json' -d "{\\"code\\":\\"$CODE\\"}"

  # 3. use the accessToken from the answer
  curl -s ${server}/v1/me -H "authorization: Bearer <accessToken>"

`;
}
