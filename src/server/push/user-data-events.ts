import type { Kysely } from 'kysely';
import type { MediaStore } from '../../media/index.ts';
import {
  clearPhone,
  clearProfile,
  type Database,
  findIdentity,
  recordAuditEvent,
  removeIdentity,
} from '../../store/index.ts';
import { purgeAccount, removeAvatarIfUnused } from '../user-rights/account-deletion.ts';
import { field, type PushMessage } from './push-message.ts';

export interface UserDataDeps {
  db: Kysely<Database>;
  media: MediaStore;
  now: () => number;
  /** Tells every instance the user changed (see DeletionDeps.announce): sessions of a removed identity end. */
  announce?: ((userId: string) => Promise<void>) | undefined;
}

/** RevokeInfo categories we hold data for (wechat-api.md §17.1): the profile and the phone number. */
const PROFILE_CATEGORIES = new Set(['6', '19', '20']);
const PHONE_CATEGORIES = new Set(['8']);

/** What a push did, for the metrics label and the audit record. */
export type PushOutcome =
  | 'profile_cleared'
  | 'phone_cleared'
  | 'nothing_held'
  | 'identity_removed'
  | 'user_deleted'
  | 'unknown_user'
  | 'ignored';

/**
 * `authorized_user_information_changes` (§17.1): WeChat cleaned a profile, the user withdrew an
 * authorization, or cancelled their WeChat account. We delete exactly what was withdrawn and
 * record that we did, without the deleted data. Every action is idempotent: a second delivery
 * finds nothing left to delete.
 */
export async function handleUserDataEvent(
  deps: UserDataDeps,
  appid: string,
  message: PushMessage,
): Promise<PushOutcome> {
  const event = field(message, 'Event');
  if (
    event !== 'user_info_modified' &&
    event !== 'user_authorization_revoke' &&
    event !== 'user_authorization_cancellation'
  ) {
    return 'ignored';
  }
  const openid = field(message, 'OpenID');
  // A push names the app it is about; one for another app of the same account is not ours to act on.
  const pushedApp = field(message, 'AppID');
  const identity =
    openid && (!pushedApp || pushedApp === appid) ? await findIdentity(deps.db, appid, openid) : undefined;
  if (!identity) return 'unknown_user';
  const now = deps.now();
  const audit = (
    type: 'push.profile_cleared' | 'push.revoked' | 'push.identity_removed',
    details: Record<string, unknown>,
  ) => recordAuditEvent(deps.db, { type, appid, userId: identity.userId, details: { event, ...details } }, now);

  if (event === 'user_authorization_cancellation') {
    const left = await removeIdentity(deps.db, identity.id);
    await deps.announce?.(identity.userId);
    if (left === 0) {
      await purgeAccount(deps, identity.userId, { appid });
      await audit('push.identity_removed', { userDeleted: true });
      return 'user_deleted';
    }
    await audit('push.identity_removed', { userDeleted: false, identitiesLeft: left });
    return 'identity_removed';
  }

  const revokeInfo = field(message, 'RevokeInfo') ?? '';
  const profile = event === 'user_info_modified' || PROFILE_CATEGORIES.has(revokeInfo);
  if (profile) {
    const avatarUrl = await clearProfile(deps.db, identity.userId, now);
    await deps.announce?.(identity.userId);
    const avatarRemoved = await removeAvatarIfUnused(deps, avatarUrl);
    await audit(event === 'user_info_modified' ? 'push.profile_cleared' : 'push.revoked', {
      revokeInfo: revokeInfo || undefined,
      cleared: ['nickname', 'avatar'],
      avatarRemoved,
    });
    return 'profile_cleared';
  }
  if (PHONE_CATEGORIES.has(revokeInfo)) {
    const held = await clearPhone(deps.db, identity.userId, now);
    if (held) await deps.announce?.(identity.userId);
    await audit('push.revoked', { revokeInfo, cleared: held ? ['phone'] : [] });
    return held ? 'phone_cleared' : 'nothing_held';
  }
  await audit('push.revoked', { revokeInfo, cleared: [] });
  return 'nothing_held';
}
