import { CallLog } from './calls.ts';
import type { Clock } from './clock.ts';
import { CodeBook } from './codes.ts';
import type { ContentRule } from './content-rules.ts';
import { type AppRecord, Directory, EmulatorControlError } from './directory.ts';
import { WxError } from './errcodes.ts';
import { Faults } from './faults.ts';
import { Derivation } from './ids.ts';
import type { ResolvedOptions } from './options.ts';
import { PhoneBilling } from './phone/billing.ts';
import { MediaChecks } from './push/media-checks.ts';
import { PushCenter } from './push/push-center.ts';
import { Quotas } from './quotas.ts';
import { TokenBook } from './tokens.ts';
import { WxaCodeBook } from './wxacode/code-book.ts';

/** Who a code was issued to. */
export interface CodeOwner {
  appid: string;
  user: string;
}

export type ResetScope = 'all' | 'faults' | 'calls';

/** Everything the emulator remembers, in memory. Both the WeChat side and the phone side work on it. */
export class EmulatorState {
  readonly options: ResolvedOptions;
  readonly clock: Clock;
  readonly derive: Derivation;
  readonly directory: Directory;
  readonly loginCodes = new CodeBook<CodeOwner>();
  readonly phoneCodes = new CodeBook<CodeOwner>();
  readonly tokens = new TokenBook();
  readonly quotas = new Quotas();
  readonly phoneBilling = new PhoneBilling();
  readonly faults: Faults;
  readonly calls = new CallLog();
  /** Last effective stable_token force_refresh per app (30 s spacing). */
  readonly lastForcedRefresh = new Map<string, number>();
  /** Mini-program codes drawn by getwxacodeunlimit and the apps' published pages (§19). */
  readonly wxaCodes = new WxaCodeBook();
  contentRules: readonly ContentRule[];
  /** Message push: each app's settings and every delivery (§16). */
  readonly push: PushCenter;
  /** media_check_async requests and their scheduled verdicts (§7.3). */
  readonly mediaChecks: MediaChecks;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.clock = options.clock;
    this.derive = new Derivation(options.seed);
    this.directory = new Directory(this.derive);
    this.faults = new Faults(this.derive);
    this.contentRules = options.contentRules;
    this.push = new PushCenter(options.push, this.derive, () => this.now());
    this.mediaChecks = new MediaChecks(options.mediaCheck, this.push, () => this.now());
    for (const app of options.apps) this.directory.registerApp(app);
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Back to the state at start: the configured apps, no users, codes, tokens, quotas or faults.
   * The seed stays, so users re-created afterwards get the same openids.
   */
  reset(scope: ResetScope = 'all'): void {
    this.faults.clear();
    if (scope === 'faults') return;
    this.calls.clear();
    if (scope === 'calls') return;
    this.directory.clear();
    for (const app of this.options.apps) this.directory.registerApp(app);
    this.loginCodes.clear();
    this.phoneCodes.clear();
    this.tokens.clear();
    this.quotas.clear();
    this.phoneBilling.clear();
    this.lastForcedRefresh.clear();
    this.wxaCodes.clear();
    this.contentRules = this.options.contentRules;
    this.mediaChecks.reset();
    this.push.reset();
  }

  /**
   * The app a server call names: 40013 when unknown, unless apps are created on first use. An app
   * the phone side created has no secret yet and adopts the first one presented.
   */
  serverApp(appid: string, secret?: string): AppRecord {
    const app = this.directory.app(appid);
    if (!app) {
      if (!this.options.autoCreateApps) throw new WxError(40013);
      return this.directory.createApp(appid, secret);
    }
    if (app.secret === undefined && secret !== undefined) app.secret = secret;
    return app;
  }

  /** The app a phone-side operation runs in: a programming mistake when unknown, unless created on first use. */
  phoneApp(appid: unknown): AppRecord {
    if (typeof appid !== 'string' || appid === '') {
      throw new EmulatorControlError('INVALID_ARGUMENT', 'appid must be a non-empty string');
    }
    const app = this.directory.app(appid);
    if (app) return app;
    if (!this.options.autoCreateApps) {
      throw new EmulatorControlError(
        'UNKNOWN_APP',
        `no app ${appid}: register it first (or start with autoCreateApps)`,
      );
    }
    return this.directory.createApp(appid);
  }
}
