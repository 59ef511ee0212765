import type { Account } from './directory.ts';
import { type Derivation, newSessionKey } from './ids.ts';
import type { SessionKeyRotation } from './options.ts';

/** The user's session_key while it lives; WeChat keeps exactly one per (app, user). */
export function currentSessionKey(account: Account, now: number): string | undefined {
  return account.sessionKey !== undefined && now < account.sessionExpiresAt ? account.sessionKey : undefined;
}

/**
 * What wx.login does to the session_key: WeChat "may" mint a new one, superseding the old at once,
 * which is what breaks data collected before the login. A missing or expired key is always replaced;
 * the expiry moves forward either way, as continued use extends it.
 * `rotate` overrides the policy for this one login.
 */
export function loginSession(
  account: Account,
  options: { policy: SessionKeyRotation; ttlMs: number; now: number; derive: Derivation; rotate?: boolean },
): void {
  account.logins += 1;
  const alive = currentSessionKey(account, options.now) !== undefined;
  const wanted =
    options.rotate ??
    (options.policy === 'always' ||
      (options.policy === 'sometimes' &&
        options.derive.pick(`rotate\0${account.appid}\0${account.user}\0${account.logins}`, 2) === 0));
  if (!alive || wanted) account.sessionKey = newSessionKey();
  account.sessionExpiresAt = options.now + options.ttlMs;
}

/** resetusersessionkey: a new key that inherits the old one's expiry (no extension). */
export function resetSession(account: Account): string {
  account.sessionKey = newSessionKey();
  return account.sessionKey;
}
