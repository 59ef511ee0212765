import { type Account, EmulatorControlError } from '../directory.ts';
import type { EmulatorState } from '../state.ts';
import type { PushDelivery } from './deliveries.ts';

/**
 * What the simulated user can do in WeChat's settings, and the `authorized_user_information_changes`
 * push each one makes (wechat-api.md §17.1, §22):
 * - `profile`: withdraws the nickname and avatar → `user_authorization_revoke`, RevokeInfo 6;
 * - `phone`: withdraws the phone number → `user_authorization_revoke`, RevokeInfo 8;
 * - `all`: deletes the WeChat account (注销) → `user_authorization_cancellation`, to every app
 *   the user authorized that has a push URL;
 * - `cleaned`: the platform cleaned a risky profile → `user_info_modified`.
 */
export type UserAction = 'profile' | 'phone' | 'all' | 'cleaned';
export const USER_ACTIONS: readonly UserAction[] = ['profile', 'phone', 'all', 'cleaned'];

export const REVOKE_PROFILE = '6';
export const REVOKE_PHONE = '8';

export interface UserActionInput {
  appid: string;
  user: string;
  action: UserAction;
  /** Another RevokeInfo code of §17.1 (e.g. 19 nickname, 20 avatar) instead of the action's own. */
  revokeInfo?: string;
  /** Deliver the same request this many extra times (WeChat's duplicates), 0-3. */
  repeat?: number;
}

function bad(message: string): never {
  throw new EmulatorControlError('INVALID_ARGUMENT', message);
}

function revoke(account: Account, code: string): void {
  account.revoked = [...new Set([...(account.revoked ?? []), code])];
}

/** Changes the emulator's state as WeChat's would change, then pushes; returns the deliveries. */
export function userAction(state: EmulatorState, input: UserActionInput): PushDelivery[] {
  const { appid, user, action } = input ?? ({} as UserActionInput);
  if (!USER_ACTIONS.includes(action)) bad(`action must be one of ${USER_ACTIONS.join(', ')}`);
  const repeat = input.repeat ?? 0;
  if (!Number.isInteger(repeat) || repeat < 0 || repeat > 3) bad('repeat must be a whole number from 0 to 3');
  if (input.revokeInfo !== undefined && !/^\d{1,3}$/.test(String(input.revokeInfo))) {
    bad('revokeInfo must be a RevokeInfo code such as "6", "8", "19" or "20"');
  }
  const app = state.phoneApp(appid);
  if (typeof user !== 'string') bad('user must be a string');
  const record = state.directory.findUser(user);
  if (!record || record.deleted) throw new EmulatorControlError('UNKNOWN_USER', `no user ${user}`);
  const account = state.directory.account(app.appid, user);
  if (state.push.settings(app.appid) === undefined) {
    throw new EmulatorControlError(
      'NO_PUSH_URL',
      `${app.appid} has no message push configured: PUT /__emulator/apps/${app.appid}/push first`,
    );
  }

  if (action === 'all') {
    record.deleted = true;
    // Every app the user authorized learns of it; each with a push URL gets its own push.
    const accounts = state.directory.accountsOf(user).filter((a) => state.push.settings(a.appid) !== undefined);
    return accounts.map((a) => send(state, a, 'user_authorization_cancellation', undefined, repeat));
  }
  if (action === 'cleaned') return [send(state, account, 'user_info_modified', undefined, repeat)];
  const code = String(input.revokeInfo ?? (action === 'profile' ? REVOKE_PROFILE : REVOKE_PHONE));
  revoke(account, code);
  // A phone code handed out before the revocation no longer redeems (getuserphonenumber: 40029).
  if (code === REVOKE_PHONE) state.phoneCodes.revokeWhere((owner) => owner.appid === app.appid && owner.user === user);
  return [send(state, account, 'user_authorization_revoke', code, repeat)];
}

function send(
  state: EmulatorState,
  account: Account,
  event: string,
  revokeInfo: string | undefined,
  repeat: number,
): PushDelivery {
  const message = {
    ...state.push.eventHeader(account.appid, event),
    OpenID: account.openid,
    AppID: account.appid,
    ...(revokeInfo !== undefined && { RevokeInfo: revokeInfo }),
  };
  return state.push.send(
    account.appid,
    message,
    { openid: account.openid, ...(revokeInfo !== undefined && { revokeInfo }) },
    repeat,
  );
}
