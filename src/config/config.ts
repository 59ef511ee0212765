import { isIP } from 'node:net';
import { S3_BUCKET_NAME, S3_KEY_PREFIX } from '../media/s3-media-store.ts';
import { parseDatabaseUrl } from '../store/database-url.ts';
import { parseSecretKey } from '../store/secret-box.ts';
import { parseQrLogin, parseWebClients, type QrLoginConfig, type WebClient } from './web-clients.ts';

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
  /** Older secret keys, newest first: still open what they sealed until `keys reseal` ran. */
  previousSecretKeys: readonly string[];
  host: string;
  port: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Legacy open data older than this is refused (watermark.timestamp). */
  openDataMaxAgeSeconds: number;
  /** Logins per minute per client IP. */
  loginRateLimitPerMinute: number;
  /** Which X-Forwarded-For hops name the client: see TrustProxy. */
  trustProxy: TrustProxy;
  /** When set, /metrics answers only `Authorization: Bearer <this>` (Prometheus's bearer_token). */
  metricsToken: string | undefined;
  logLevel: string;
  /** Longest wait for a database connection and for one statement; past it the request gets 503. */
  dbTimeoutMs: number;
  /** PostgreSQL: repeated statements as named prepared statements; `off` behind a pooler that cannot keep them. */
  dbPreparedStatements: 'on' | 'off';
  /** SQLite: writes on a thread of their own (src/store/sqlite-writer-thread.ts); `auto`: in a single server process. */
  dbWriterThread: 'auto' | 'on' | 'off';
  /** Longest wait for one Redis command; past it the use falls back or the request gets 503. */
  redisTimeoutMs: number;
  /** After SIGTERM: how long to keep serving (readiness already 503) before refusing new connections. */
  shutdownDelayMs: number;
  /** After SIGTERM: the process exits within this, whatever is still open. */
  shutdownTimeoutMs: number;
  /** Days between DELETE /v1/me and the purge; a login meanwhile cancels it. 0: purge at once. */
  deletionCoolingOffDays: number;
  /** `weapp-auth cleanup` deletes audit events older than this many days. */
  auditRetentionDays: number;
  /** WEAPP_PUSH: the apps whose message push this server receives at /wechat/push/{appid}. */
  push: readonly PushApp[];
  /** `local`: avatars in AVATAR_DIR, served by this server; `s3`: in the bucket of `s3`. */
  mediaStore: 'local' | 's3';
  /** Set exactly when mediaStore is `s3`. */
  s3: Readonly<S3Config> | undefined;
  /** Where uploaded avatars are kept (the local media store). */
  avatarDir: string;
  /** Larger uploads are refused with 413. */
  avatarMaxBytes: number;
  /** The multipart field holding the image: the `name` the mini program gives wx.uploadFile. */
  avatarField: string;
  /** The origin clients reach this server at; avatar URLs are built on it. No trailing slash. */
  publicUrl: string;
  /** Check nicknames with WeChat's msg_sec_check before storing them. */
  contentCheck: 'off' | 'on';
  /** When the check cannot be made (WeChat down): store the nickname flagged (open) or refuse (closed). */
  contentCheckFailure: 'open' | 'closed';
  /** `link`: a new WeChat account whose phone number one existing user holds joins that user. */
  phoneLinkPolicy: 'off' | 'link';
  /** WEB_CLIENTS: websites that log in by scanning a mini-program code (./web-clients.ts). */
  webClients: readonly WebClient[];
  /** QR_LOGIN_*: how scan-to-login codes are drawn, how long they live, how many. */
  qrLogin: QrLoginConfig;
  /**
   * SIGNUP_RISK_MAX_RANK: the highest getuserriskrank rank (0-4) a new user may sign up with; a
   * higher one refuses the sign-up. Undefined (the default): no check. 4 rates and records only.
   */
  signupRiskMaxRank: number | undefined;
  /** When WeChat cannot rate the sign-up: let it through unrated (open) or refuse it with 503 (closed). */
  signupRiskFailure: 'open' | 'closed';
}

/**
 * Whom to believe about the client's address (X-Forwarded-For): nobody (`false`: the socket peer is
 * the client), the nearest `n` proxies (a hop count: each appends the address it received from), or
 * proxies at these addresses or CIDR ranges (also `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = false | number | readonly string[];

/** One app's message-push settings (mp.weixin.qq.com → 开发管理 → 消息推送). */
export interface PushApp {
  appid: string;
  /** The Token: signs every push (SHA-1). */
  token: string;
  /** The EncodingAESKey of safe mode; undefined for plaintext mode (then the body is unsigned). */
  encodingAesKey: string | undefined;
}

/** S3-compatible object storage for avatars (the options of S3MediaStore). */
export interface S3Config {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where clients download avatars; no trailing slash. */
  publicUrl: string;
  /** Undefined: the store's default (path style for an IP or localhost endpoint). */
  pathStyle: boolean | undefined;
  /** '' for the bucket's root. */
  keyPrefix: string;
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
/** The AppSecret as WeChat issues it: 32 hexadecimal characters (shown lowercase in the admin console). */
const SECRET = /^[0-9a-fA-F]{32}$/;
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
  const oneOf = <T extends string>(name: string, values: readonly T[], fallback: T): T => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${values.join(', ')} (got "${raw.slice(0, 32)}")`);
    return fallback;
  };
  const port = int('PORT', defaults.port ?? 3000, 0, 65535);
  const host = str('HOST') ?? defaults.host ?? '0.0.0.0';
  const publicUrl = str('PUBLIC_URL') ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(publicUrl)) {
    problems.push(`PUBLIC_URL must be an http(s) URL without query or fragment (got "${publicUrl.slice(0, 64)}")`);
  }
  const avatarField = str('AVATAR_FIELD') ?? 'file';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(avatarField)) {
    problems.push('AVATAR_FIELD must be 1-64 letters, digits, "_" or "-" (the name given to wx.uploadFile)');
  }

  const mediaStore = oneOf('MEDIA_STORE', ['local', 's3'], 'local');
  const databaseUrl = str('DATABASE_URL') ?? defaults.databaseUrl ?? 'sqlite:./data/weapp-auth.db';
  const databaseProblem = databaseUrlProblem(databaseUrl);
  if (databaseProblem !== undefined) problems.push(databaseProblem);

  const config: Config = {
    apps,
    defaultAppid: apps[0]?.appid ?? '',
    databaseUrl,
    redisUrl,
    wechatApiBase: wechatApiBase.replace(/\/+$/, ''),
    secretKey: secretKey ?? '',
    previousSecretKeys: previousSecretKeys(str('WEAPP_SECRET_KEY_PREVIOUS'), problems),
    host,
    port,
    accessTokenTtlSeconds: int('ACCESS_TOKEN_TTL', 7200, 60, 86_400),
    refreshTokenTtlSeconds: int('REFRESH_TOKEN_TTL', 30 * 86_400, 3600, 365 * 86_400),
    openDataMaxAgeSeconds: int('OPEN_DATA_MAX_AGE', 600, 10, 7 * 86_400),
    loginRateLimitPerMinute: int('LOGIN_RATE_LIMIT', 60, 1, 100_000),
    trustProxy: parseTrustProxy(str('TRUST_PROXY'), problems),
    metricsToken: metricsToken(str('METRICS_TOKEN'), problems),
    logLevel,
    dbTimeoutMs: int('DB_TIMEOUT_MS', 3000, 100, 120_000),
    dbPreparedStatements: oneOf('DB_PREPARED_STATEMENTS', ['on', 'off'], 'on'),
    dbWriterThread: oneOf('DB_WRITER_THREAD', ['auto', 'on', 'off'], 'auto'),
    redisTimeoutMs: int('REDIS_TIMEOUT_MS', 1000, 50, 60_000),
    shutdownDelayMs: int('SHUTDOWN_DELAY_MS', 2000, 0, 60_000),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 1000, 120_000),
    deletionCoolingOffDays: int('DELETION_COOLING_OFF_DAYS', 0, 0, 90),
    auditRetentionDays: int('AUDIT_RETENTION_DAYS', 180, 1, 3650),
    push: parsePush(str('WEAPP_PUSH'), apps, problems),
    mediaStore,
    s3: parseS3(str, mediaStore === 's3', problems),
    avatarDir: str('AVATAR_DIR') ?? './data/avatars',
    avatarMaxBytes: int('AVATAR_MAX_BYTES', 2 * 1024 * 1024, 1024, 20 * 1024 * 1024),
    avatarField,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    contentCheck: oneOf('CONTENT_CHECK', ['off', 'on'], 'off'),
    contentCheckFailure: oneOf('CONTENT_CHECK_FAILURE', ['open', 'closed'], 'open'),
    phoneLinkPolicy: oneOf('PHONE_LINK_POLICY', ['off', 'link'], 'off'),
    webClients: parseWebClients(str('WEB_CLIENTS'), str('WEB_CLIENT_NAMES'), problems),
    qrLogin: parseQrLogin({ str, int, oneOf }, problems),
    signupRiskMaxRank: str('SIGNUP_RISK_MAX_RANK') === undefined ? undefined : int('SIGNUP_RISK_MAX_RANK', 0, 0, 4),
    signupRiskFailure: oneOf('SIGNUP_RISK_FAILURE', ['open', 'closed'], 'open'),
  };
  if (config.shutdownDelayMs >= config.shutdownTimeoutMs) {
    problems.push('SHUTDOWN_DELAY_MS must be shorter than SHUTDOWN_TIMEOUT_MS (the drain happens within the timeout)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...config,
    apps: Object.freeze(apps.map((a) => Object.freeze(a))),
    s3: config.s3 && Object.freeze(config.s3),
    push: Object.freeze(config.push.map((p) => Object.freeze(p))),
    webClients: Object.freeze(config.webClients.map((c) => Object.freeze({ ...c, origins: Object.freeze(c.origins) }))),
    qrLogin: Object.freeze(config.qrLogin),
  });
}

/**
 * What makes DATABASE_URL unusable, or undefined. The URL itself is never echoed: it may hold a
 * password. A MySQL URL, say, is refused here rather than failing later with a driver's stack.
 */
export function databaseUrlProblem(url: string): string | undefined {
  try {
    parseDatabaseUrl(url);
    return undefined;
  } catch (err) {
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(url)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'sqlite') {
      return (
        'DATABASE_URL must be postgres://user:password@host:5432/database (PostgreSQL) or sqlite:<path> (SQLite); ' +
        `"${scheme.slice(0, 16)}:" is not supported`
      );
    }
    return `DATABASE_URL: ${(err as Error).message}`;
  }
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
        `WEAPP_APPS entry ${i + 1} must be appid:secret with appid "wx" + 16 letters or digits and the AppSecret, ` +
          '32 hexadecimal characters (mp.weixin.qq.com → 开发管理 → 开发设置)',
      );
      continue;
    }
    if (apps.some((a) => a.appid === appid)) problems.push(`WEAPP_APPS lists ${appid} twice`);
    apps.push({ appid, secret });
  }
  return apps;
}

/**
 * WEAPP_PUSH="appid:token:encodingAESKey[,…]" (the key omitted for plaintext mode). Entries are
 * never echoed: they hold the token and the key.
 */
function parsePush(raw: string | undefined, apps: readonly AppCredentials[], problems: string[]): PushApp[] {
  if (raw === undefined) return [];
  const push: PushApp[] = [];
  for (const [i, entry] of raw.split(',').entries()) {
    const [appid = '', token = '', encodingAesKey, ...rest] = entry.trim().split(':');
    const where = `WEAPP_PUSH entry ${i + 1}`;
    if (!apps.some((a) => a.appid === appid)) {
      problems.push(`${where} must start with an appid of WEAPP_APPS`);
    } else if (!/^[A-Za-z0-9]{3,32}$/.test(token) || rest.length > 0) {
      problems.push(`${where} must be appid:token[:encodingAESKey], the token 3-32 letters and digits`);
    } else if (encodingAesKey !== undefined && !/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) {
      problems.push(`${where}: the EncodingAESKey must be 43 letters and digits (omit it for plaintext mode)`);
    } else if (push.some((p) => p.appid === appid)) {
      problems.push(`WEAPP_PUSH lists ${appid} twice`);
    } else {
      push.push({ appid, token, encodingAesKey });
    }
  }
  return push;
}

const BOOLEANS = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

const S3_VARIABLES = [
  'S3_ENDPOINT',
  'S3_BUCKET',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_PUBLIC_URL',
  'S3_PATH_STYLE',
  'S3_KEY_PREFIX',
];

/**
 * The S3_* settings when `enabled`. URLs and credentials are never echoed: a URL may carry a
 * password, and a secret pasted into the wrong variable must not end up in a log.
 */
function parseS3(
  str: (name: string) => string | undefined,
  enabled: boolean,
  problems: string[],
): S3Config | undefined {
  if (!enabled) {
    // Otherwise a forgotten MEDIA_STORE=s3 silently fills a container's disk instead of the bucket.
    const set = S3_VARIABLES.filter((name) => str(name) !== undefined);
    if (set.length > 0) {
      problems.push(
        `${set.join(', ')} set but MEDIA_STORE is local: set MEDIA_STORE=s3 to store avatars in the bucket`,
      );
    }
    return undefined;
  }
  const required = (name: string, what: string): string => {
    const value = str(name);
    if (value === undefined) problems.push(`${name} is required with MEDIA_STORE=s3: ${what}`);
    return value ?? '';
  };
  const url = (name: string, what: string): string => {
    const value = required(name, what);
    if (value !== '' && !isPlainHttpUrl(value)) {
      problems.push(`${name} must be an http(s) URL without credentials, query or fragment`);
    }
    return value.replace(/\/+$/, '');
  };
  const credential = (name: string, what: string): string => {
    const value = required(name, what);
    if (value !== '' && !/^[\x21-\x7e]{1,256}$/.test(value)) {
      problems.push(`${name} must be printable ASCII without spaces (check for a stray quote or newline)`);
    }
    return value;
  };

  const endpoint = url(
    'S3_ENDPOINT',
    'the service URL without the bucket, e.g. https://s3.us-east-1.amazonaws.com or https://cos.ap-guangzhou.myqcloud.com',
  );
  const bucket = required('S3_BUCKET', 'the bucket holding the avatars');
  if (bucket !== '' && !S3_BUCKET_NAME.test(bucket)) {
    problems.push(`S3_BUCKET must be a bucket name: 3-63 of a-z, 0-9, "." and "-" (got "${bucket.slice(0, 64)}")`);
  }
  const region = str('S3_REGION') ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,64}$/.test(region)) {
    problems.push(
      `S3_REGION must be a region name such as us-east-1, ap-guangzhou or auto (got "${region.slice(0, 64)}")`,
    );
  }
  const accessKeyId = credential(
    'S3_ACCESS_KEY_ID',
    'the access key of credentials that may read, write, list and delete in the bucket',
  );
  const secretAccessKey = credential('S3_SECRET_ACCESS_KEY', 'the secret of that access key');
  const publicUrl = url(
    'S3_PUBLIC_URL',
    "where clients download avatars: a CDN domain on the mini program's downloadFile allowlist, or the bucket's public URL",
  );
  const rawPathStyle = str('S3_PATH_STYLE');
  const pathStyle = rawPathStyle === undefined ? undefined : BOOLEANS.get(rawPathStyle);
  if (rawPathStyle !== undefined && pathStyle === undefined) {
    problems.push(`S3_PATH_STYLE must be true or false (got "${rawPathStyle.slice(0, 16)}")`);
  }
  const rawPrefix = str('S3_KEY_PREFIX') ?? 'avatars/';
  const keyPrefix = rawPrefix === '/' ? '' : rawPrefix;
  if (!S3_KEY_PREFIX.test(keyPrefix)) {
    problems.push(
      `S3_KEY_PREFIX must be path segments of letters, digits, ".", "_" and "-", such as avatars/ (/ for the bucket's root; got "${rawPrefix.slice(0, 64)}")`,
    );
  }
  return { endpoint, bucket, region, accessKeyId, secretAccessKey, publicUrl, pathStyle, keyPrefix };
}

function isPlainHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    // An empty `?` or `#` leaves search and hash empty: look at the text too.
    return /^https?:$/.test(url.protocol) && !url.username && !url.password && !/[?#]/.test(value);
  } catch {
    return false;
  }
}

function metricsToken(raw: string | undefined, problems: string[]): string | undefined {
  if (raw !== undefined && raw.length < 16)
    problems.push('METRICS_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 16`)');
  return raw;
}

function previousSecretKeys(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const keys = raw
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  keys.forEach((key, i) => {
    try {
      parseSecretKey(key);
    } catch {
      problems.push(`WEAPP_SECRET_KEY_PREVIOUS entry ${i + 1} must be 32 bytes as base64 (44 chars) or hex (64 chars)`);
    }
  });
  return keys;
}

const TRUST_PROXY_FORMS =
  'the number of proxies in front of this server (TRUST_PROXY=1 behind one nginx or load balancer) ' +
  'or their addresses, comma-separated (TRUST_PROXY=127.0.0.1 for an nginx on this machine, TRUST_PROXY=10.0.0.0/8 ' +
  'for a load balancer on your private network)';
/** proxy-addr's named ranges, which Fastify's trustProxy accepts among addresses. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY. Rate limits key on the client address, so believing one X-Forwarded-For hop too many
 * lets any client write its own address and escape them: `true` (every hop) is refused.
 */
function parseTrustProxy(raw: string | undefined, problems: string[]): TrustProxy {
  if (raw === undefined || raw.toLowerCase() === 'false' || raw === '0') return false;
  const everyone = (what: string) =>
    problems.push(
      `TRUST_PROXY=${what} would believe every X-Forwarded-For hop, so any client could name its own IP and escape ` +
        `the rate limits: write ${TRUST_PROXY_FORMS}`,
    );
  if (raw.toLowerCase() === 'true') {
    everyone(raw);
    return false;
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) {
      problems.push(`TRUST_PROXY counts the proxies in front of this server: at most 10 (got "${raw.slice(0, 16)}")`);
      return false;
    }
    return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const invalid = entries.filter((entry) => !isAddressOrRange(entry));
  if (invalid.length > 0) {
    const shown = invalid.map((entry) => `"${entry.slice(0, 45)}"`).join(', ');
    problems.push(`TRUST_PROXY must be ${TRUST_PROXY_FORMS}; not an IP address or CIDR range: ${shown}`);
    return false;
  }
  if (entries.some((entry) => /\/0+$/.test(entry))) {
    everyone(raw.slice(0, 64));
    return false;
  }
  return Object.freeze(entries);
}

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}
