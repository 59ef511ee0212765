import type { FastifyBaseLogger } from 'fastify';
import { type LoginResult, linkNewUserByPhone, type PhoneNumber, type Store } from '../../store/index.ts';
import type { AccessTokenManager, WeChatClient } from '../../wechat/client/index.ts';
import type { Metrics } from '../metrics.ts';
import { bindPhone } from '../phone/bind-phone.ts';
import { maskPhone } from '../phone/mask.ts';
import { phoneByCode } from '../phone/phone-number.ts';

export interface LoginPhoneDeps {
  store: Store;
  wechat: WeChatClient;
  accessTokens: AccessTokenManager;
  metrics: Metrics;
  phoneLinkPolicy: 'off' | 'link';
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  now: () => number;
}

/**
 * The phone number behind a phone code sent with the login, asked before anything is written:
 * a code WeChat refuses fails the login whole, instead of leaving a user without the phone the
 * person just agreed to share.
 */
export async function phoneForLogin(
  deps: LoginPhoneDeps,
  who: { appid: string; openid: string },
  phoneCode: string | undefined,
): Promise<PhoneNumber | undefined> {
  return phoneCode === undefined ? undefined : phoneByCode(deps, who, phoneCode);
}

/**
 * Puts the login's phone number on its user. With PHONE_LINK_POLICY=link, a user this login just
 * created first joins the one existing user holding that number, when that is safe (see
 * linkNewUserByPhone); the answer then says isNewUser: false.
 */
export async function applyLoginPhone(
  deps: LoginPhoneDeps,
  linked: LoginResult,
  phone: PhoneNumber | undefined,
): Promise<LoginResult> {
  if (phone === undefined) return linked;
  let result = linked;
  if (linked.isNewUser && deps.phoneLinkPolicy === 'link') {
    const link = await linkNewUserByPhone(
      deps.store.db,
      { newUserId: linked.user.id, identityId: linked.identity.id, phone },
      deps.now(),
    );
    const masked = `+${phone.countryCode} ${maskPhone(phone.phoneNumber)}`;
    if (link.linked) {
      deps.log.info({ userId: link.user.id, appid: linked.identity.appid, phone: masked }, 'login linked by phone');
      result = { user: link.user, identity: { ...linked.identity, userId: link.user.id }, isNewUser: false };
    } else if (link.reason !== 'no_holder') {
      deps.log.warn({ reason: link.reason, appid: linked.identity.appid, phone: masked }, 'login not linked by phone');
    }
  }
  return { ...result, user: await bindPhone(deps, result.user.id, phone, 'login') };
}
