import { EmulatorControlError } from '../directory.ts';
import { newRid } from '../ids.ts';
import type { PushCenter } from './push-center.ts';
import type { PushObject } from './push-wire.ts';

/**
 * media_check_async (wechat-api.md §7.2-7.3, §17.2): the answer carries only a trace_id; the
 * verdict comes later as a `wxa_media_check` push. Here the verdict is scripted — a policy for
 * every new check (default `pass` after a short delay), or held until a test decides one check.
 */
export type MediaVerdict = 'pass' | 'review' | 'risky' | 'unreachable';
const VERDICTS: readonly MediaVerdict[] = ['pass', 'review', 'risky', 'unreachable'];

export interface MediaCheckPolicy {
  verdict: MediaVerdict;
  /** The label pushed with it; default 100 for pass, 21000 for review, 20002 for risky. */
  label?: number;
  /** Delay before the push (WeChat: seconds up to 30 minutes); null holds it until decided. */
  delayMs: number | null;
  /** Fetch media_url first as WeChat's checker does; unreachable → errcode -1008. Default true. */
  download: boolean;
}

export const DEFAULT_MEDIA_CHECK_POLICY: Readonly<MediaCheckPolicy> = Object.freeze({
  verdict: 'pass',
  delayMs: 2000,
  download: true,
});

const DEFAULT_LABEL: Record<Exclude<MediaVerdict, 'unreachable'>, number> = { pass: 100, review: 21000, risky: 20002 };
const MAX_DELAY_MS = 30 * 60_000;
const MAX_MEDIA_BYTES = 10 * 1024 * 1024;
/** -1008 as the v1 push's unsigned status_code (§7.3). */
const V1_DOWNLOAD_FAILED = 4294966288;

export interface MediaCheck {
  traceId: string;
  appid: string;
  openid: string;
  user: string;
  mediaUrl: string;
  mediaType: 1 | 2;
  scene: number;
  /** 2, or 1 when the request had no `version` (the push then carries the v1 fields). */
  version: 1 | 2;
  submittedAt: number;
  status: 'pending' | 'pushed' | 'no_push_url';
  verdict?: MediaVerdict;
  label?: number;
  deliveryId?: number;
}

function bad(message: string): never {
  throw new EmulatorControlError('INVALID_ARGUMENT', message);
}

export function validateMediaCheckPolicy(input: unknown): MediaCheckPolicy {
  const p = (input ?? {}) as Partial<Record<keyof MediaCheckPolicy, unknown>>;
  const verdict = p.verdict ?? DEFAULT_MEDIA_CHECK_POLICY.verdict;
  if (!VERDICTS.includes(verdict as MediaVerdict)) bad(`verdict must be one of ${VERDICTS.join(', ')}`);
  const delayMs = p.delayMs === undefined ? DEFAULT_MEDIA_CHECK_POLICY.delayMs : p.delayMs;
  if (
    delayMs !== null &&
    (!Number.isInteger(delayMs) || (delayMs as number) < 0 || (delayMs as number) > MAX_DELAY_MS)
  ) {
    bad(`delayMs must be null (hold until decided) or a whole number from 0 to ${MAX_DELAY_MS}`);
  }
  if (p.label !== undefined && !Number.isInteger(p.label)) bad('label must be an integer');
  const download = p.download ?? DEFAULT_MEDIA_CHECK_POLICY.download;
  if (typeof download !== 'boolean') bad('download must be a boolean');
  return {
    verdict: verdict as MediaVerdict,
    delayMs: delayMs as number | null,
    download,
    ...(p.label !== undefined && { label: p.label as number }),
  };
}

/** The checks submitted so far and their scheduled verdicts. */
export class MediaChecks {
  policy: MediaCheckPolicy;
  readonly #initial: MediaCheckPolicy;
  readonly #checks = new Map<string, MediaCheck>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #push: PushCenter;
  readonly #now: () => number;

  constructor(policy: MediaCheckPolicy, push: PushCenter, now: () => number) {
    this.policy = policy;
    this.#initial = policy;
    this.#push = push;
    this.#now = now;
  }

  /** Records an accepted request and schedules its verdict per the policy; returns its trace_id. */
  submit(check: Omit<MediaCheck, 'traceId' | 'submittedAt' | 'status'>): string {
    const submittedAt = this.#now();
    const traceId = newRid(submittedAt);
    this.#checks.set(traceId, { ...check, traceId, submittedAt, status: 'pending' });
    const { delayMs } = this.policy;
    if (delayMs !== null) {
      const { verdict, label } = this.policy;
      const timer = setTimeout(() => {
        this.#timers.delete(traceId);
        void this.decide(traceId, { verdict, ...(label !== undefined && { label }) }).catch(() => {});
      }, delayMs);
      timer.unref();
      this.#timers.set(traceId, timer);
    }
    return traceId;
  }

  list(): MediaCheck[] {
    return [...this.#checks.values()].map((c) => ({ ...c }));
  }

  /**
   * Pushes the verdict of a pending check now (the policy's when none is given). A check already
   * pushed is refused: WeChat pushes one verdict per trace_id.
   */
  async decide(traceId: string, input: { verdict?: unknown; label?: unknown } = {}): Promise<MediaCheck> {
    const check = this.#checks.get(traceId);
    if (!check) throw new EmulatorControlError('UNKNOWN_MEDIA_CHECK', `no media check ${String(traceId).slice(0, 64)}`);
    if (check.status !== 'pending') bad(`media check ${traceId} already has its verdict`);
    const verdict = (input.verdict ?? this.policy.verdict) as MediaVerdict;
    if (!VERDICTS.includes(verdict)) bad(`verdict must be one of ${VERDICTS.join(', ')}`);
    if (input.label !== undefined && !Number.isInteger(input.label)) bad('label must be an integer');
    clearTimeout(this.#timers.get(traceId));
    this.#timers.delete(traceId);
    // Taken before the download, so two decisions at once cannot both push.
    check.status = 'pushed';
    const reachable = verdict !== 'unreachable' && (!this.policy.download || (await downloadable(check.mediaUrl)));
    check.verdict = reachable ? verdict : 'unreachable';
    if (check.verdict !== 'unreachable') {
      check.label = (input.label as number | undefined) ?? this.policy.label ?? DEFAULT_LABEL[check.verdict];
    }
    if (this.#push.settings(check.appid) === undefined) {
      // WeChat has nowhere to send it: the verdict is never seen (§7.3).
      check.status = 'no_push_url';
      return { ...check };
    }
    const delivery = this.#push.send(check.appid, this.#message(check), { openid: check.openid, traceId });
    check.deliveryId = delivery.id;
    return { ...check };
  }

  #message(check: MediaCheck): PushObject {
    const header = {
      ...this.#push.eventHeader(check.appid, 'wxa_media_check'),
      appid: check.appid,
      trace_id: check.traceId,
    };
    const risky = check.verdict === 'risky';
    if (check.version === 1) {
      const unreachable = check.verdict === 'unreachable';
      return {
        ...header,
        isrisky: risky ? 1 : 0,
        extra_info_json: '',
        status_code: unreachable ? V1_DOWNLOAD_FAILED : 0,
      };
    }
    if (check.verdict === 'unreachable')
      return { ...header, version: 2, errcode: -1008, errmsg: 'download media failed' };
    const result = { suggest: check.verdict as string, label: check.label ?? 100 };
    return {
      ...header,
      version: 2,
      detail: [{ strategy: 'content_model', errcode: 0, ...result, prob: 90 }],
      errcode: 0,
      errmsg: 'ok',
      result,
    };
  }

  reset(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#checks.clear();
    this.policy = this.#initial;
  }
}

/** Whether WeChat's checker could fetch the file: a 2xx answer, within 10 MB and 10 s. */
async function downloadable(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'follow' });
    if (!res.ok) {
      await res.body?.cancel();
      return false;
    }
    const bytes = await res.arrayBuffer();
    return bytes.byteLength > 0 && bytes.byteLength <= MAX_MEDIA_BYTES;
  } catch {
    return false;
  }
}
