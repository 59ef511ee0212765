import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The demo mini program `weapp-auth dev` registers in its emulator (and `demo` logs into). */
export const DEMO_APP = { appid: 'wxdeadbeefcafe0001', secret: 'dec0de00dec0de00dec0de00dec0de00' } as const;
export const DEV_PORTS = { server: 3000, emulator: 9300 } as const;

/** The playground's page is a website of its own too: scan to log in from its desktop-browser panel. */
export const DEV_WEB_CLIENT = { id: 'playground', name: 'weapp-auth playground' } as const;

/** WEB_CLIENTS for dev: the playground's origin (as 127.0.0.1 and as localhost) on the server's port. */
export function devWebClients(port: number): { WEB_CLIENTS: string; WEB_CLIENT_NAMES: string } {
  const origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`].join('|');
  return {
    WEB_CLIENTS: `${DEV_WEB_CLIENT.id}:${origins}`,
    WEB_CLIENT_NAMES: `${DEV_WEB_CLIENT.id}:${DEV_WEB_CLIENT.name}`,
  };
}

/**
 * dev needs a WEAPP_SECRET_KEY but nobody should have to make one to try the product: generate it
 * once and keep it beside the dev database, so sessions survive a restart.
 */
export function devSecretKey(path = './data/dev-secret.key'): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return key;
}
