import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AvatarVerdict,
  applyAvatarVerdict,
  decideAvatarCheck,
  findAvatarCheck,
} from '../../store/avatar-checks.ts';
import { recordAuditEvent } from '../../store/index.ts';
import { removeAvatarIfUnused } from '../user-rights/account-deletion.ts';
import { field, type PushMessage } from './push-message.ts';
import type { UserDataDeps } from './user-data-events.ts';

/** What a `wxa_media_check` push did, for the metrics label. */
export type MediaCheckOutcome =
  | 'avatar_passed'
  | 'avatar_review'
  | 'avatar_removed'
  | 'avatar_check_failed'
  | 'already_decided'
  | 'unknown_trace';

/** A push may overtake the commit that stored its trace_id (WeChat can answer within a second). */
const LATE_COMMIT_WAIT_MS = 2000;
const LATE_COMMIT_POLL_MS = 100;
/** WeChat's v1 status_code for -1008 (unsigned), wechat-api.md §7.3. */
const V1_DOWNLOAD_FAILED = '4294966288';

/** The verdict of the push (§7.3, §17.2): v2's result.suggest, v1's isrisky, or `error` when WeChat could not check. */
export function mediaVerdict(message: PushMessage): { verdict: AvatarVerdict; label: number | null; errcode?: string } {
  const errcode = field(message, 'errcode') ?? field(message, 'status_code');
  if (errcode !== undefined && errcode !== '0') {
    return { verdict: 'error', label: null, errcode: errcode === V1_DOWNLOAD_FAILED ? '-1008' : errcode };
  }
  const result = message.result;
  if (result !== undefined && typeof result === 'object') {
    const suggest = field(result, 'suggest');
    // label arrives as a number or as a string ("100"): read both (§7.3 typing hazards).
    const label = Number(field(result, 'label'));
    const known = suggest === 'pass' || suggest === 'review' || suggest === 'risky';
    return { verdict: known ? suggest : 'review', label: Number.isInteger(label) ? label : null };
  }
  const isrisky = field(message, 'isrisky');
  if (isrisky === '1') return { verdict: 'risky', label: null };
  if (isrisky === '0') return { verdict: 'pass', label: null };
  // A verdict we cannot read is not a pass: a person should look.
  return { verdict: 'review', label: null };
}

/**
 * `wxa_media_check`: WeChat's verdict on an avatar submitted by media_check_async, matched on
 * trace_id. `risky` takes the avatar away (and the file, unless another user shows it) and flags
 * the user; `review` flags it for a person; `pass` clears the flag; a check WeChat could not make
 * leaves it for review. Acted on once per trace_id, audited.
 */
export async function handleMediaCheckEvent(
  deps: UserDataDeps,
  appid: string,
  message: PushMessage,
): Promise<MediaCheckOutcome> {
  const traceId = field(message, 'trace_id');
  const pushedApp = field(message, 'appid');
  if (!traceId || (pushedApp !== undefined && pushedApp !== appid)) return 'unknown_trace';
  let check = await findAvatarCheck(deps.db, appid, traceId);
  for (let waited = 0; !check && waited < LATE_COMMIT_WAIT_MS; waited += LATE_COMMIT_POLL_MS) {
    await sleep(LATE_COMMIT_POLL_MS);
    check = await findAvatarCheck(deps.db, appid, traceId);
  }
  if (!check) return 'unknown_trace';
  const { verdict, label, errcode } = mediaVerdict(message);
  const now = deps.now();
  if (!(await decideAvatarCheck(deps.db, traceId, verdict, label, now))) return 'already_decided';

  const review = verdict === 'pass' ? null : verdict === 'risky' ? 'risky' : 'review';
  const current = await applyAvatarVerdict(deps.db, check.userId, check.avatarUrl, review, now);
  // Risky content is not served, even when the user has moved on to another avatar since.
  const fileRemoved = verdict === 'risky' ? await removeAvatarIfUnused(deps, check.avatarUrl) : false;
  await recordAuditEvent(
    deps.db,
    {
      type: 'push.media_check',
      appid,
      userId: check.userId,
      rid: traceId,
      details: {
        verdict,
        ...(label !== null && { label }),
        ...(errcode !== undefined && { errcode }),
        // Whether the checked avatar was still the user's own when the verdict came.
        current,
        ...(verdict === 'risky' && { avatarRemoved: current, fileRemoved }),
      },
    },
    now,
  );
  // The avatar or its review flag changed: instances that keep the user in process (GET /v1/me)
  // drop it before WeChat hears `success`, as for every other change to a user. Last, so that an
  // announcement that fails leaves the verdict applied and audited (WeChat's next delivery finds
  // it decided).
  if (current) await deps.announce?.(check.userId);
  if (verdict === 'risky') return 'avatar_removed';
  if (verdict === 'pass') return 'avatar_passed';
  return verdict === 'error' ? 'avatar_check_failed' : 'avatar_review';
}
