import { type EncryptedOpenData, encryptOpenData, rawDataSignature } from '../../wechat/crypto/index.ts';
import { fullPhoneNumber, type Lang, type Profile, placeNames } from './profiles.ts';

/** What WeChat shows for anonymized users since 2021-04 / 2022-11 (wechat-api.md §11). */
export const ANONYMOUS_NICKNAME = '微信用户';
export const GRAY_AVATAR =
  'https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132';

/** The userInfo fields, declared in the order WeChat serializes them into rawData. */
export interface UserInfoFields {
  nickName: string;
  gender: number;
  language: string;
  city: string;
  province: string;
  country: string;
  avatarUrl: string;
}

/** userInfo as the mini program receives it; newer clients flag anonymized data with is_demote. */
export type UserInfo = UserInfoFields & { is_demote?: boolean };

/**
 * The user's fields as today's WeChat gives them (anonymous: "微信用户", gray avatar, no gender or
 * place, language "" as observed) or as legacy clients got them (the real profile, places in `lang`).
 */
export function userInfoFields(
  profile: Profile & { place?: number },
  options: { anonymous: boolean; lang: Lang },
): UserInfoFields {
  if (options.anonymous) {
    return {
      nickName: ANONYMOUS_NICKNAME,
      gender: 0,
      language: '',
      city: '',
      province: '',
      country: '',
      avatarUrl: GRAY_AVATAR,
    };
  }
  const { city, province, country } = placeNames(profile, options.lang);
  return {
    nickName: profile.nickName,
    gender: profile.gender,
    language: profile.language,
    city,
    province,
    country,
    avatarUrl: profile.avatarUrl,
  };
}

/** userInfo as the mini program gets it: rawData's fields, plus is_demote when anonymized. */
export function clientUserInfo(fields: UserInfoFields, anonymous: boolean): UserInfo {
  return anonymous ? { ...fields, is_demote: true } : { ...fields };
}

/** The wx.getUserInfo plaintext: openId first, unionId after the fields (the official vector's order). */
export function userInfoPayload(
  fields: UserInfoFields,
  ids: { openId: string; unionId?: string },
): Record<string, unknown> {
  return { openId: ids.openId, ...fields, ...(ids.unionId !== undefined && { unionId: ids.unionId }) };
}

/** The legacy getPhoneNumber plaintext, before its watermark. */
export function phonePayload(profile: Pick<Profile, 'purePhoneNumber' | 'countryCode'>): Record<string, unknown> {
  return {
    phoneNumber: fullPhoneNumber(profile),
    purePhoneNumber: profile.purePhoneNumber,
    countryCode: profile.countryCode,
  };
}

export interface SignedUserData extends EncryptedOpenData {
  userInfo: UserInfo;
  rawData: string;
  signature: string;
}

/**
 * What getUserInfo / getUserProfile hand over: rawData is the compact userInfo without is_demote,
 * signed with sha1(rawData + session_key); encryptedData carries `payload` and a watermark
 * {timestamp, appid}, under the session_key current right now.
 */
export function signUserData(
  sessionKey: string,
  fields: UserInfoFields,
  payload: Record<string, unknown>,
  watermark: { appid: string; timestamp: number },
  anonymous: boolean,
): SignedUserData {
  const rawData = JSON.stringify(fields);
  const sealed = encryptOpenData(sessionKey, payload, {
    watermark: { timestamp: watermark.timestamp, appid: watermark.appid },
  });
  return {
    userInfo: clientUserInfo(fields, anonymous),
    rawData,
    signature: rawDataSignature(rawData, sessionKey),
    ...sealed,
  };
}
