import type { EmulatorAppConfig } from './options.ts';

/**
 * Reads `appid:secret[:openPlatform]`, the form of `--app` and of each entry of EMULATOR_APPS
 * (entries separated by commas or whitespace). Throws a TypeError naming the bad entry; the
 * message never repeats the secret.
 */
export function parseAppSpec(spec: string): EmulatorAppConfig {
  const [appid = '', secret = '', openPlatform, ...rest] = spec.trim().split(':');
  if (appid === '' || secret === '' || rest.length > 0 || openPlatform === '') {
    throw new TypeError(`"${appid || spec.slice(0, 20)}…" is not appid:secret or appid:secret:openPlatform`);
  }
  return openPlatform === undefined ? { appid, secret } : { appid, secret, openPlatform };
}

export function parseAppSpecs(list: string | undefined): EmulatorAppConfig[] {
  if (list === undefined) return [];
  return list
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .map(parseAppSpec);
}
