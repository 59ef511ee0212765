import type { EmulatorAppConfig } from './options.ts';

/**
 * Reads `appid:secret[:openPlatform]`, the form of `--app` and of each entry of EMULATOR_APPS
 * (entries separated by commas or whitespace). Throws a TypeError naming the bad entry; the
 * message never repeats the secret.
 */
export function parseAppSpec(spec: string): EmulatorAppConfig {
  const [appid = '', secret = '', openPlatform, ...rest] = spec.trim().split(':');
  if (appid === '' || secret === '' || rest.length > 0 || openPlatform === '') {
    // Name the entry by its appid only when it is one: anything else may be a mangled secret.
    const name = /^wx[0-9a-zA-Z]{16}$/.test(appid) ? `the entry for ${appid}` : 'an entry';
    throw new TypeError(`${name} is not appid:secret or appid:secret:openPlatform`);
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
