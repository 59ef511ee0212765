import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The demo mini program `weapp-auth dev` registers in its emulator (and `demo` logs into). */
export const DEMO_APP = { appid: 'wxdeadbeefcafe0001', secret: 'dec0de00dec0de00dec0de00dec0de00' } as const;
export const DEV_PORTS = { server: 3000, emulator: 9300 } as const;

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
