import { parseSecretKey } from '../store/secret-box.ts';

/**
 * The one configuration object: read from the environment at the edge (the CLI), validated with
 * messages that say what to fix, then frozen. Libraries take options and never read process.env.
 */
export interface AppCredentials {
  appid: string;
  secret: string;
}

export interface Config {
  apps: readonly AppCredentials[];
  /** The app used when a request names none (the first of WEAPP_APPS). */
  defaultAppid: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  wechatApiBase: string;
  /** 32 bytes; encrypts session keys and signing keys at rest. */
  secretKey: string;
  host: string;
  port: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Legacy open data older than this is refused (watermark.timestamp). */
  openDataMaxAgeSeconds: number;
  /** Logins per minute per client IP. */
  loginRateLimitPerMinute: number;
  /** Behind a load balancer: trust X-Forwarded-For for the client IP. */
  trustProxy: boolean;
  logLevel: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const APPID = /^wx[0-9a-zA-Z]{16}$/;
const SECRET = /^[0-9a-zA-Z]{16,64}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type Env = Record<string, string | undefined>;

/** Defaults for values `loadConfig` fills in when a variable is absent (dev overrides some). */
export interface ConfigDefaults {
  apps?: string;
  secretKey?: string;
  wechatApiBase?: string;
  databaseUrl?: string;
  port?: number;
  host?: string;
}

export function loadConfig(env: Env, defaults: ConfigDefaults = {}): Readonly<Config> {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const apps = parseApps(str('WEAPP_APPS') ?? defaults.apps, problems);
  const secretKey = str('WEAPP_SECRET_KEY') ?? defaults.secretKey;
  if (secretKey === undefined) {
    problems.push(
      'WEAPP_SECRET_KEY is required: 32 random bytes as base64 or hex, e.g. `openssl rand -base64 32`. ' +
        'It encrypts session keys and signing keys at rest; keep it stable across restarts and instances.',
    );
  } else {
    try {
      parseSecretKey(secretKey);
    } catch {
      problems.push('WEAPP_SECRET_KEY must be 32 bytes as base64 (44 chars) or hex (64 chars)');
    }
  }
  const wechatApiBase = str('WECHAT_API_BASE') ?? defaults.wechatApiBase ?? 'https://api.weixin.qq.com';
  if (!/^https?:\/\/[^/]+/.test(wechatApiBase)) {
    problems.push(`WECHAT_API_BASE must be an http(s) URL (got "${wechatApiBase}")`);
  }
  const redisUrl = str('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push('REDIS_URL must start with redis:// or rediss://');
  }
  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const config: Config = {
    apps,
    defaultAppid: apps[0]?.appid ?? '',
    databaseUrl: str('DATABASE_URL') ?? defaults.databaseUrl ?? 'sqlite:./data/weapp-auth.db',
    redisUrl,
    wechatApiBase: wechatApiBase.replace(/\/+$/, ''),
    secretKey: secretKey ?? '',
    host: str('HOST') ?? defaults.host ?? '0.0.0.0',
    port: int('PORT', defaults.port ?? 3000, 0, 65535),
    accessTokenTtlSeconds: int('ACCESS_TOKEN_TTL', 7200, 60, 86_400),
    refreshTokenTtlSeconds: int('REFRESH_TOKEN_TTL', 30 * 86_400, 3600, 365 * 86_400),
    openDataMaxAgeSeconds: int('OPEN_DATA_MAX_AGE', 600, 10, 7 * 86_400),
    loginRateLimitPerMinute: int('LOGIN_RATE_LIMIT', 60, 1, 100_000),
    trustProxy: str('TRUST_PROXY') === 'true' || str('TRUST_PROXY') === '1',
    logLevel,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...config, apps: Object.freeze(apps.map((a) => Object.freeze(a))) });
}

function parseApps(raw: string | undefined, problems: string[]): AppCredentials[] {
  if (raw === undefined) {
    problems.push('WEAPP_APPS is required: appid:secret[,appid:secret...] from mp.weixin.qq.com → 开发管理 → 开发设置');
    return [];
  }
  const apps: AppCredentials[] = [];
  for (const [i, entry] of raw.split(',').entries()) {
    const [appid = '', secret = '', ...rest] = entry.trim().split(':');
    if (!APPID.test(appid) || !SECRET.test(secret) || rest.length > 0) {
      // Never echo the entry: it holds a secret.
      problems.push(
        `WEAPP_APPS entry ${i + 1} must be appid:secret with appid "wx" + 16 characters and a 32-character secret`,
      );
      continue;
    }
    if (apps.some((a) => a.appid === appid)) problems.push(`WEAPP_APPS lists ${appid} twice`);
    apps.push({ appid, secret });
  }
  return apps;
}
