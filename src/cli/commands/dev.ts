import type { Command } from 'commander';
import { type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import { PLAYGROUND_PREFIX, playgroundProblem, registerPlayground } from '../../playground/routes.ts';
import { buildServer } from '../../server/app.ts';
import { createServerContext, type OwnedServerContext } from '../../server/services.ts';
import { DEMO_APP, DEV_PORTS, devSecretKey, devWebClients } from '../dev-defaults.ts';
import { type ChosenPort, choosePort, devPortSettings, PortSettingError } from '../dev-ports.ts';
import { configureDevPush, devPushSetting, listsApp } from '../dev-push.ts';
import { removeDevState, writeDevState } from '../dev-state.ts';
import { configFromEnvironment, loadDotEnv } from '../env.ts';
import { exitWithStartupProblem } from '../startup-problem.ts';

/** `weapp-auth dev`: the whole stack offline — emulator, server on SQLite, the demo app. */
export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('run the emulator and the server on SQLite with a demo mini program, all offline')
    .option(
      '--port <port>',
      `where the server listens (also PORT; default ${DEV_PORTS.server}, or a free port when it is taken)`,
    )
    .option(
      '--emulator-port <port>',
      `where the WeChat emulator listens (also EMULATOR_PORT; default ${DEV_PORTS.emulator}, or a free port when it is taken)`,
    )
    .action(async (flags: { port?: string; emulatorPort?: string }) => {
      loadDotEnv();
      const host = process.env.HOST?.trim() || '127.0.0.1';
      const settings = devPortSettings(flags, process.env);
      let ports: { server: ChosenPort; emulator: ChosenPort };
      try {
        // The emulator binds loopback whatever HOST says: it plays WeChat for this machine only.
        ports = {
          emulator: await choosePort(settings.emulator, '127.0.0.1', 'emulator'),
          server: await choosePort(settings.server, host, 'server'),
        };
      } catch (err) {
        if (!(err instanceof PortSettingError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      let emulator: RunningEmulator;
      try {
        emulator = await startEmulator({
          host: '127.0.0.1',
          port: ports.emulator.port,
          apps: [{ ...DEMO_APP, name: 'weapp-auth demo', openPlatform: 'demo-open-platform' }],
          sessionKeyRotation: 'sometimes',
          // The users' avatars from the emulator itself: the playground loads nothing from the internet.
          avatarHost: 'emulator',
          logger: false,
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        process.stderr.write(
          `Cannot listen on 127.0.0.1:${ports.emulator.port} for the emulator: the port is taken. ` +
            `Stop the other process or choose another with ${settings.emulator.name} (0: any free port).\n`,
        );
        process.exit(2);
      }
      // The port is decided before the config is frozen: the default PUBLIC_URL, which avatar URLs
      // are built on, must name the port the server really listens on.
      const config = configFromEnvironment(
        {
          apps: `${DEMO_APP.appid}:${DEMO_APP.secret}`,
          secretKey: devSecretKey(),
          wechatApiBase: emulator.url,
          databaseUrl: 'sqlite:./data/dev.db',
          host: '127.0.0.1',
        },
        {
          PORT: String(ports.server.port),
          // WeChat's content check, played by the emulator (its rules: "risky-word", "赌博"…), so the
          // playground's nickname demo shows a refusal as production would; CONTENT_CHECK=off skips it.
          ...(process.env.CONTENT_CHECK === undefined && { CONTENT_CHECK: 'on' }),
          // WeChat's message push, played by the emulator: a Token and key for this run only — for
          // the demo app, so only when WEAPP_APPS (if set) still lists it.
          ...(process.env.WEAPP_PUSH === undefined &&
            listsApp(process.env.WEAPP_APPS, DEMO_APP.appid) && { WEAPP_PUSH: devPushSetting(DEMO_APP.appid) }),
          // Scan to log in on a website: the playground's own origin is the website.
          ...(process.env.WEB_CLIENTS === undefined && devWebClients(ports.server.port)),
        },
      );
      let ctx: OwnedServerContext;
      try {
        ctx = await createServerContext(config);
      } catch (err) {
        await emulator.close();
        exitWithStartupProblem(err, config);
      }
      const app = await buildServer(ctx);
      // On the server's own instance: the page calls the API from the same origin.
      // The scan-to-login panel needs a web client listing the playground's origin.
      const playgroundOrigin = `http://127.0.0.1:${config.port}`;
      const webClient = config.webClients.find((c) => c.origins.includes(playgroundOrigin));
      await registerPlayground(app, {
        emulator,
        appid: DEMO_APP.appid,
        ...(webClient && { webClientId: webClient.id }),
      });
      app.addHook('onClose', async () => {
        await ctx.close();
        await emulator.close();
      });
      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (err) {
        await app.close();
        exitWithStartupProblem(err, config);
      }
      const server = `http://127.0.0.1:${config.port}`;
      const pushNote = await configureDevPush(emulator, config, server, DEMO_APP.appid);
      // `weapp-auth demo` run from this folder finds the stack here; gone when dev stops.
      writeDevState({ server, emulator: emulator.url, playground: `${server}${PLAYGROUND_PREFIX}/`, pid: process.pid });
      process.once('exit', () => removeDevState());
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => void app.close().then(() => process.exit(0)));
      }
      const notes = [ports.server.note, ports.emulator.note, playgroundProblem(), pushNote].filter(
        (n) => n !== undefined,
      );
      // One write, so whoever reads the URLs has the notes too.
      const noteLines = notes.map((note) => `note: ${note}\n`).join('');
      process.stdout.write(`${walkthrough(server, emulator.url, config.databaseUrl)}${noteLines}${noteLines && '\n'}`);
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
