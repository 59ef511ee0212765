import type { Command } from 'commander';
import pino from 'pino';
import { parseAppSpec, parseAppSpecs } from '../../emulator/app-specs.ts';
import {
  type EmulatorAppConfig,
  type MediaVerdict,
  type PushSettings,
  parsePushSpec,
  parsePushSpecs,
  type RunningEmulator,
  type SessionKeyRotation,
  startEmulator,
} from '../../emulator/index.ts';

interface EmulatorFlags {
  port: string;
  host: string;
  app: string[];
  seed?: string;
  rotation: SessionKeyRotation;
  autoCreateApps?: boolean;
  quiet?: boolean;
  push: string[];
  mediaCheckVerdict?: string;
  mediaCheckDelayMs?: string;
}

const ROTATIONS = ['always', 'never', 'sometimes'];

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description("run the WeChat API emulator: WeChat's login APIs at their own paths, the phone under /__emulator")
    .option('--port <port>', 'port to listen on (0: any free port)', process.env.EMULATOR_PORT ?? '9300')
    .option('--host <host>', 'address to bind', process.env.EMULATOR_HOST ?? '127.0.0.1')
    .option(
      '--app <appid:secret[:openPlatform]>',
      'register an app (repeatable); apps sharing openPlatform share unionids. Also EMULATOR_APPS="a:s,b:s"',
      // Collected raw and checked in runEmulator: commander would echo a bad value, secret included.
      (spec: string, specs: string[]) => [...specs, spec],
      [],
    )
    .option(
      '--seed <seed>',
      'same seed, same openids, unionids and profiles (default: random)',
      process.env.EMULATOR_SEED,
    )
    .option('--rotation <policy>', 'session_key rotation on wx.login: always, never or sometimes', 'always')
    .option('--auto-create-apps', 'create unknown appids on first use instead of answering 40013')
    .option(
      '--push <appid=…,url=…,token=…[,aesKey=…][,mode=…][,format=…]>',
      'message push of an app (repeatable): where revocations and media verdicts go; mode plaintext|compatible|safe, format json|xml. Also EMULATOR_PUSH (entries separated by ";")',
      (spec: string, specs: string[]) => [...specs, spec],
      [],
    )
    .option(
      '--media-check-verdict <verdict>',
      'what media_check_async pushes: pass, review, risky or unreachable (default pass)',
      process.env.EMULATOR_MEDIA_CHECK_VERDICT,
    )
    .option(
      '--media-check-delay-ms <ms>',
      'delay before the wxa_media_check push (default 2000)',
      process.env.EMULATOR_MEDIA_CHECK_DELAY_MS,
    )
    .option('--quiet', 'do not log each WeChat call')
    .action(async (flags: EmulatorFlags) => {
      process.exitCode = await runEmulator(flags, (line) => process.stdout.write(`${line}\n`));
    });
}

/** Starts the emulator until SIGINT/SIGTERM; returns the exit code. */
export async function runEmulator(flags: EmulatorFlags, out: (line: string) => void): Promise<number> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    out('error: --port must be a port number (0-65535)');
    return 1;
  }
  if (!ROTATIONS.includes(flags.rotation)) {
    out(`error: --rotation must be one of ${ROTATIONS.join(', ')}`);
    return 1;
  }
  let apps: EmulatorAppConfig[];
  try {
    apps = parseAppSpecs(process.env.EMULATOR_APPS);
  } catch (err) {
    out(`error: EMULATOR_APPS: ${(err as Error).message}`);
    return 1;
  }
  try {
    apps.push(...flags.app.map(parseAppSpec));
  } catch (err) {
    out(`error: --app: ${(err as Error).message}`);
    return 1;
  }
  let push: PushSettings[];
  try {
    push = [...parsePushSpecs(process.env.EMULATOR_PUSH), ...flags.push.map(parsePushSpec)];
  } catch (err) {
    out(`error: --push / EMULATOR_PUSH: ${(err as Error).message}`);
    return 1;
  }
  const mediaCheck = {
    ...(flags.mediaCheckVerdict !== undefined && { verdict: flags.mediaCheckVerdict as MediaVerdict }),
    ...(flags.mediaCheckDelayMs !== undefined && { delayMs: Number(flags.mediaCheckDelayMs) }),
  };
  // With no app configured the emulator would refuse everything: let apps appear on first use.
  const autoCreateApps = flags.autoCreateApps === true || apps.length === 0;
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({
      host: flags.host,
      port,
      apps,
      push,
      mediaCheck,
      autoCreateApps,
      sessionKeyRotation: flags.rotation,
      ...(flags.seed !== undefined && { seed: flags.seed }),
      ...(!flags.quiet && { logger: pino({ base: null }) }),
    });
  } catch (err) {
    // Option mistakes (a bad media-check verdict or delay) are TypeErrors naming the option.
    if (!(err instanceof TypeError)) throw err;
    out(`error: ${err.message}`);
    return 1;
  }
  const { seed } = emulator.control.info();
  out(`WeChat API emulator listening on ${emulator.url}`);
  out(`  point your WeChat client at ${emulator.url} instead of https://api.weixin.qq.com`);
  out(
    `  control API: ${emulator.url}/__emulator (apps: ${apps.map((a) => a.appid).join(', ') || 'created on first use'})`,
  );
  for (const p of push) out(`  message push: ${p.appid} → ${p.url} (${p.mode}, ${p.format})`);
  out(`  seed: ${seed} (pass --seed ${seed} to get the same openids again)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await emulator.close();
  return 0;
}
