import { DEV_PORTS } from './dev-defaults.ts';
import { freePort, portIsFree } from './free-port.ts';

/** Where a port setting of `dev` came from: a flag, an environment variable, or the default. */
export interface PortSetting {
  /** What the user would change, for messages: "--port / PORT". */
  name: string;
  flag: string | undefined;
  env: string | undefined;
  fallback: number;
}

export interface ChosenPort {
  port: number;
  /** Set when the default port was taken and another was picked: the line that says so. */
  note?: string;
}

export class PortSettingError extends Error {
  override readonly name = 'PortSettingError';
}

/**
 * The port `dev` listens on. A port the user asked for (flag or environment; 0 is "any free one")
 * is used as given, so a taken one fails loudly. The default is only a preference: when something
 * else holds it, a free port is picked and a note says which, so `npm start` comes up anyway.
 */
export async function choosePort(setting: PortSetting, host: string, what: string): Promise<ChosenPort> {
  const raw = (setting.flag ?? setting.env)?.trim();
  if (raw !== undefined && raw !== '') {
    const port = Number(raw);
    if (!/^\d+$/.test(raw) || port > 65535) {
      throw new PortSettingError(`${setting.name} must be a port number from 0 to 65535 (got "${raw.slice(0, 16)}")`);
    }
    return { port: port === 0 ? await freePort(host) : port };
  }
  if (await portIsFree(setting.fallback, host)) return { port: setting.fallback };
  const port = await freePort(host);
  return {
    port,
    note: `port ${setting.fallback} is taken, so the ${what} listens on ${port} (choose with ${setting.name})`,
  };
}

/** The two ports of `dev`: the server's (--port, PORT) and the emulator's (--emulator-port, EMULATOR_PORT). */
export function devPortSettings(
  flags: { port?: string; emulatorPort?: string },
  env: Record<string, string | undefined>,
): { server: PortSetting; emulator: PortSetting } {
  return {
    server: { name: '--port or PORT', flag: flags.port, env: env.PORT, fallback: DEV_PORTS.server },
    emulator: {
      name: '--emulator-port or EMULATOR_PORT',
      flag: flags.emulatorPort,
      env: env.EMULATOR_PORT,
      fallback: DEV_PORTS.emulator,
    },
  };
}
