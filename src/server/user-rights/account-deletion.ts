import type { Kysely } from 'kysely';
import { type MediaStore, mediaKeyOfUrl } from '../../media/index.ts';
import {
  avatarInUse,
  cancelDeletion,
  type Database,
  type DeletionState,
  listDueDeletions,
  type NewAuditEvent,
  purgeUser,
  recordAuditEvent,
  requestDeletion,
} from '../../store/index.ts';

export interface DeletionDeps {
  db: Kysely<Database>;
  /** Where the user's avatar file is; removed with the account when nobody else shows it. */
  media: MediaStore;
  now: () => number;
  /** DELETION_COOLING_OFF_DAYS in ms: 0 purges at once. */
  coolingOffMs: number;
  /**
   * Tells every instance that the user's sessions ended and the data changed (TokenService.announce
   * through the invalidation bus), so none keeps serving them from its cache. Awaited before the
   * caller answers; a failure fails the call, which is safe to repeat.
   */
  announce?: ((userId: string) => Promise<void>) | undefined;
}

type Who = Pick<NewAuditEvent, 'appid' | 'ip'>;

/**
 * DELETE /v1/me, an operator's `users delete`, WeChat's cancellation push: every session ends at
 * once; with a cooling-off period the account waits for `weapp-auth cleanup` (a login before then
 * cancels it), without one it is purged now. Undefined when there is no such user.
 */
export async function deleteAccount(
  deps: DeletionDeps,
  userId: string,
  who: Who & { by: 'user' | 'operator' | 'wechat' },
): Promise<(DeletionState & { purged: boolean }) | undefined> {
  const now = deps.now();
  const state = await requestDeletion(deps.db, userId, { now, coolingOffMs: deps.coolingOffMs });
  if (!state) return undefined;
  await deps.announce?.(userId);
  await recordAuditEvent(
    deps.db,
    { type: 'deletion.requested', userId, appid: who.appid, ip: who.ip, details: { by: who.by, dueAt: state.dueAt } },
    now,
  );
  if (state.dueAt > now) return { ...state, purged: false };
  await purgeAccount(deps, userId, { appid: who.appid, ip: who.ip });
  return { ...state, purged: true };
}

/** A login during the cooling-off period keeps the account: the user changed their mind. */
export async function keepAccount(db: Kysely<Database>, userId: string, who: Who, now: number): Promise<boolean> {
  const cancelled = await cancelDeletion(db, userId);
  if (cancelled) await recordAuditEvent(db, { type: 'deletion.cancelled', userId, ...who }, now);
  return cancelled;
}

/**
 * Deletes the user and everything that hangs off it, then the avatar file when no other user shows
 * the same (content-addressed) file. What stays: audit events naming the user id, which leads
 * nowhere any more — no name, phone, openid or unionid.
 */
export async function purgeAccount(deps: Omit<DeletionDeps, 'coolingOffMs'>, userId: string, who: Who = {}) {
  const purged = await purgeUser(deps.db, userId);
  if (!purged) return undefined;
  await deps.announce?.(userId);
  const avatarRemoved = await removeAvatarIfUnused(deps, purged.avatarUrl);
  await recordAuditEvent(
    deps.db,
    { type: 'deletion.purged', userId, ...who, details: { identities: purged.identities, avatarRemoved } },
    deps.now(),
  );
  return { ...purged, avatarRemoved };
}

/** `weapp-auth cleanup`: purges every account whose cooling-off period has ended; how many. */
export async function purgeDueAccounts(deps: Omit<DeletionDeps, 'coolingOffMs'>): Promise<number> {
  let purged = 0;
  for (;;) {
    const due = await listDueDeletions(deps.db, deps.now());
    for (const userId of due) if (await purgeAccount(deps, userId)) purged++;
    if (due.length < 500) return purged;
  }
}

/** Deletes a stored avatar file once no user shows it any more; true when it did. */
export async function removeAvatarIfUnused(
  deps: Pick<DeletionDeps, 'db' | 'media'>,
  avatarUrl: string | null | undefined,
): Promise<boolean> {
  const key = avatarUrl ? mediaKeyOfUrl(avatarUrl) : undefined;
  if (!avatarUrl || !key || (await avatarInUse(deps.db, avatarUrl))) return false;
  await deps.media.delete(key);
  return true;
}
