import type { AddressInfo } from 'node:net';
import { buildEmulatorApp, type EmulatorApp } from './app.ts';
import type { EmulatorControl } from './control.ts';
import type { EmulatorOptions } from './options.ts';
import { urlHost } from './url-host.ts';

export interface RunningEmulator {
  /** Base URL to give a WeChat SDK instead of https://api.weixin.qq.com, e.g. http://127.0.0.1:54321. */
  url: string;
  port: number;
  /** The same operations as the HTTP control API, in process. */
  control: EmulatorControl;
  app: EmulatorApp;
  close(): Promise<void>;
}

/** Starts the emulator on `host` (127.0.0.1) and `port` (0: any free one) and says where. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const app = buildEmulatorApp(options);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address() as AddressInfo;
  return {
    url: `http://${urlHost(address)}:${address.port}`,
    port: address.port,
    control: app.emulator,
    app,
    close: () => app.close(),
  };
}
