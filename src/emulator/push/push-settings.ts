import { parseEncodingAesKey } from '../../wechat/push/message-crypto.ts';

/**
 * One app's message-push configuration, as set in mp.weixin.qq.com → 开发管理 → 消息推送
 * (wechat-api.md §16.1): where WeChat posts, the Token that signs, the EncodingAESKey that seals,
 * the encryption mode and the data format. Plus the delivery schedule (§16.6), bounded and
 * adjustable so tests need not wait WeChat's real 5 s.
 */
export type PushMode = 'plaintext' | 'compatible' | 'safe';
export type PushFormat = 'json' | 'xml';

export interface PushSettings {
  appid: string;
  /** http(s) URL WeChat posts to (WeChat itself allows ports 80/443 only; the emulator any). */
  url: string;
  /** 3-32 letters and digits: signs every push. */
  token: string;
  /** 43 letters and digits; required for compatible and safe mode. */
  encodingAESKey?: string;
  mode: PushMode;
  format: PushFormat;
  /** How long one attempt waits for the answer (WeChat: 5 s). */
  timeoutMs: number;
  /** Re-sends after an attempt that was not answered `success` (WeChat: 3). */
  retries: number;
  /** Pause between the end of one attempt and the next. */
  retryDelayMs: number;
}

export type PushSettingsInput = Partial<Omit<PushSettings, 'appid'>> & {
  appid: string;
  url: string;
  token: string;
};

export const PUSH_DEFAULTS = Object.freeze({ timeoutMs: 5000, retries: 3, retryDelayMs: 1000 });
const MAX_RETRIES = 3;
const MAX_WAIT_MS = 60_000;
const MODES: readonly PushMode[] = ['plaintext', 'compatible', 'safe'];
const FORMATS: readonly PushFormat[] = ['json', 'xml'];

/** Checks settings; a TypeError names the field to fix. */
export function validatePushSettings(input: unknown): PushSettings {
  const i = (input ?? {}) as Partial<Record<keyof PushSettings, unknown>>;
  if (typeof i.appid !== 'string' || i.appid === '') throw new TypeError('appid must be a non-empty string');
  if (typeof i.url !== 'string' || !/^https?:\/\/[^/?#\s]+[^\s]*$/.test(i.url)) {
    throw new TypeError('url must be an http(s) URL');
  }
  if (typeof i.token !== 'string' || !/^[A-Za-z0-9]{3,32}$/.test(i.token)) {
    throw new TypeError('token must be 3-32 letters and digits');
  }
  const key = i.encodingAESKey;
  if (key !== undefined) {
    if (typeof key !== 'string') throw new TypeError('encodingAESKey must be 43 letters and digits');
    try {
      parseEncodingAesKey(key);
    } catch {
      throw new TypeError('encodingAESKey must be 43 letters and digits');
    }
  }
  const mode = i.mode ?? (key === undefined ? 'plaintext' : 'safe');
  if (!MODES.includes(mode as PushMode)) throw new TypeError(`mode must be one of ${MODES.join(', ')}`);
  if (mode !== 'plaintext' && key === undefined) throw new TypeError(`mode ${mode} needs an encodingAESKey`);
  const format = i.format ?? 'json';
  if (!FORMATS.includes(format as PushFormat)) throw new TypeError(`format must be one of ${FORMATS.join(', ')}`);
  const whole = (name: 'timeoutMs' | 'retries' | 'retryDelayMs', max: number): number => {
    const value = i[name] ?? PUSH_DEFAULTS[name];
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max) {
      throw new TypeError(`${name} must be a whole number from 0 to ${max}`);
    }
    return value as number;
  };
  const settings: PushSettings = {
    appid: i.appid,
    url: i.url,
    token: i.token,
    mode: mode as PushMode,
    format: format as PushFormat,
    timeoutMs: Math.max(1, whole('timeoutMs', MAX_WAIT_MS)),
    retries: whole('retries', MAX_RETRIES),
    retryDelayMs: whole('retryDelayMs', MAX_WAIT_MS),
  };
  if (key !== undefined) settings.encodingAESKey = key as string;
  return settings;
}

/**
 * `--push` / EMULATOR_PUSH: `appid=…,url=…,token=…[,aesKey=…][,mode=…][,format=…]`, entries of
 * EMULATOR_PUSH separated by `;`. The message names the field, never the token or key.
 */
export function parsePushSpec(spec: string): PushSettings {
  const fields: Record<string, unknown> = {};
  for (const part of spec.trim().split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) throw new TypeError('a push setting is not name=value (appid=…,url=…,token=…)');
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    const key = { aesKey: 'encodingAESKey', encodingAESKey: 'encodingAESKey' }[name] ?? name;
    if (
      !['appid', 'url', 'token', 'encodingAESKey', 'mode', 'format', 'timeoutMs', 'retries', 'retryDelayMs'].includes(
        key,
      )
    ) {
      throw new TypeError(`unknown push setting "${name.slice(0, 32)}"`);
    }
    fields[key] = ['timeoutMs', 'retries', 'retryDelayMs'].includes(key) ? Number(value) : value;
  }
  return validatePushSettings(fields);
}

export function parsePushSpecs(list: string | undefined): PushSettings[] {
  if (list === undefined) return [];
  return list
    .split(';')
    .filter((entry) => entry.trim() !== '')
    .map(parsePushSpec);
}

/** What the control API shows: never the Token or the key. */
export function pushSettingsView(s: PushSettings): Omit<PushSettings, 'token' | 'encodingAESKey'> & {
  hasEncodingAESKey: boolean;
} {
  const { token: _token, encodingAESKey, ...rest } = s;
  return { ...rest, hasEncodingAESKey: encodingAESKey !== undefined };
}
