import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { CallEvent } from './calls.ts';
import type { Clock } from './clock.ts';
import { OffsetClock } from './clock.ts';
import type { ContentRule } from './content-rules.ts';
import { DEFAULT_CONTENT_RULES } from './content-rules.ts';
import { validateAppConfig } from './directory.ts';
import { type MediaCheckPolicy, validateMediaCheckPolicy } from './push/media-checks.ts';
import { type PushSettings, type PushSettingsInput, validatePushSettings } from './push/push-settings.ts';

export interface EmulatorAppConfig {
  appid: string;
  secret: string;
  /** Apps sharing the same value are bound to one open-platform account and share unionids. */
  openPlatform?: string;
  name?: string;
  /** When set, /cgi-bin/token and stable_token answer 40164 to callers from other addresses. */
  ipWhitelist?: string[];
}

/** When `wx.login` mints a new session_key (WeChat: "may"). A missing or expired key is always replaced. */
export type SessionKeyRotation = 'always' | 'never' | 'sometimes';

/** WeChat's documented limits; lower them in tests to reach 45009 / 45011 quickly. */
export interface EmulatorLimits {
  /** jscode2session calls per user per minute (45011). */
  code2SessionPerUserPerMinute: number;
  /** /cgi-bin/token calls per app per day (45009). */
  tokenPerDay: number;
  /** stable_token calls per app per minute (45011) and per day (45009). */
  stableTokenPerMinute: number;
  stableTokenPerDay: number;
  /** Effective force_refresh calls per app per day, and their minimum spacing. */
  forceRefreshPerDay: number;
  forceRefreshSpacingMs: number;
  /** msg_sec_check calls per app per minute (44991) and per day (45009). */
  msgSecCheckPerMinute: number;
  msgSecCheckPerDay: number;
  /** getuserriskrank test calls (`is_test: true`) per app per day (9410009); WeChat publishes no figure. */
  riskRankTestPerDay: number;
  /** getwxacodeunlimit calls per app per minute (45009, §19.1). */
  wxaCodePerMinute: number;
  /** media_check_async calls per app per minute (44991) and per day (45009), §7.3. */
  mediaCheckAsyncPerMinute: number;
  mediaCheckAsyncPerDay: number;
}

export const DEFAULT_LIMITS: Readonly<EmulatorLimits> = Object.freeze({
  code2SessionPerUserPerMinute: 100,
  tokenPerDay: 2000,
  stableTokenPerMinute: 10_000,
  stableTokenPerDay: 500_000,
  forceRefreshPerDay: 20,
  forceRefreshSpacingMs: 30_000,
  msgSecCheckPerMinute: 4000,
  msgSecCheckPerDay: 2_000_000,
  riskRankTestPerDay: 1000,
  wxaCodePerMinute: 5000,
  mediaCheckAsyncPerMinute: 2000,
  mediaCheckAsyncPerDay: 200_000,
});

export interface EmulatorOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * Where the avatar URLs of generated profiles point: `wechat` (default), WeChat's
   * https://thirdwx.qlogo.cn as real profiles do; `emulator`, the same paths on the emulator
   * itself, which serves a picture for each (offline: `weapp-auth dev` and the playground).
   */
  avatarHost?: 'wechat' | 'emulator';
  apps?: EmulatorAppConfig[];
  /** Defaults to the real time plus an offset the control API can advance. */
  clock?: Clock;
  sessionKeyRotation?: SessionKeyRotation;
  /** Unknown appids are created on first use instead of answering 40013. */
  autoCreateApps?: boolean;
  /** Same seed, same openids, unionids and generated profiles. Random when omitted. */
  seed?: string;
  /** How long a session_key lives after the last wx.login (WeChat keeps it opaque). Default 3 days. */
  sessionKeyTtlMs?: number;
  limits?: Partial<EmulatorLimits>;
  /** The msg_sec_check word lists. */
  contentRules?: ContentRule[];
  /** Message push per app (wechat-api.md §16): where the emulator sends revocations and media verdicts. */
  push?: PushSettingsInput[];
  /** How media_check_async verdicts are decided and when they are pushed; default pass after 2 s. */
  mediaCheck?: Partial<MediaCheckPolicy>;
  /** Sees every WeChat-side call (secrets masked): for a dev UI. */
  onCall?: (event: CallEvent) => void;
  logger?: false | FastifyBaseLogger;
}

export interface ResolvedOptions {
  apps: EmulatorAppConfig[];
  clock: Clock;
  sessionKeyRotation: SessionKeyRotation;
  autoCreateApps: boolean;
  seed: string;
  sessionKeyTtlMs: number;
  limits: EmulatorLimits;
  contentRules: readonly ContentRule[];
  push: PushSettings[];
  mediaCheck: MediaCheckPolicy;
}

const ROTATIONS: readonly SessionKeyRotation[] = ['always', 'never', 'sometimes'];
const LOGIN_CODE_TTL_MS = 5 * 60_000;

export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const rotation = options.sessionKeyRotation ?? 'always';
  if (!ROTATIONS.includes(rotation)) {
    throw new TypeError(`sessionKeyRotation must be one of ${ROTATIONS.join(', ')}`);
  }
  const ttl = options.sessionKeyTtlMs ?? 3 * 24 * 3600_000;
  // A key must outlive the code that carries it, or code2Session could hand out a dead key.
  if (!Number.isFinite(ttl) || ttl <= LOGIN_CODE_TTL_MS) {
    throw new TypeError('sessionKeyTtlMs must be longer than the 5 minutes a login code lives');
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 0) throw new TypeError(`limits.${name} must be a whole number >= 0`);
  }
  return {
    apps: (options.apps ?? []).map((app, i) => {
      try {
        return validateAppConfig(app);
      } catch (err) {
        throw new TypeError(`apps[${i}]: ${(err as Error).message}`);
      }
    }),
    clock: options.clock ?? new OffsetClock(),
    sessionKeyRotation: rotation,
    autoCreateApps: options.autoCreateApps ?? false,
    seed: options.seed ?? randomBytes(12).toString('hex'),
    sessionKeyTtlMs: ttl,
    limits,
    contentRules: options.contentRules ?? DEFAULT_CONTENT_RULES,
    push: (options.push ?? []).map((push, i) => {
      try {
        return validatePushSettings(push);
      } catch (err) {
        throw new TypeError(`push[${i}]: ${(err as Error).message}`);
      }
    }),
    mediaCheck: mediaCheckOption(options.mediaCheck),
  };
}

/** The media-check policy of the options: its mistakes are TypeErrors, like every option's. */
function mediaCheckOption(input: Partial<MediaCheckPolicy> | undefined): MediaCheckPolicy {
  try {
    return validateMediaCheckPolicy(input);
  } catch (err) {
    throw new TypeError(`mediaCheck: ${(err as Error).message}`);
  }
}
