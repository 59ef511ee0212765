import { getSessionKeys, type Identity, type ProfilePatch, type Store } from '../../store/index.ts';
import { decryptOpenData, isOpenDataError, type OpenData, verifyRawDataSignature } from '../../wechat/crypto/index.ts';
import { ApiError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';

export interface OpenDataInput {
  encryptedData: string;
  iv: string;
  rawData?: string | undefined;
  signature?: string | undefined;
}

/** WeChat's placeholders for "the user gave nothing" since 2021-2022 (wechat-api.md §11). */
export const ANONYMOUS_NICKNAME = '微信用户';
const GRAY_AVATAR_PATH =
  '/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/';

export function isAnonymousNickname(nickname: unknown): boolean {
  return typeof nickname !== 'string' || nickname.trim() === '' || nickname === ANONYMOUS_NICKNAME;
}

export function isDefaultAvatar(url: unknown): boolean {
  return typeof url !== 'string' || url === '' || url.includes(GRAY_AVATAR_PATH);
}

/**
 * Decrypts open data with the user's session_key, falling back to the previous one: data produced
 * just before a wx.login that rotated the key was sealed with it. Checks the rawData signature
 * with whichever key decrypted, when the client sent one.
 */
export function decryptWithStoredKeys(
  store: Store,
  identity: Identity,
  input: OpenDataInput,
  options: { maxAgeSeconds: number; metrics: Metrics; now: number },
): OpenData {
  const keys = getSessionKeys(store, identity);
  const candidates = [keys.current, ...(keys.previous ? [keys.previous] : [])];
  for (const key of candidates) {
    try {
      const data = decryptOpenData(key, input.iv, input.encryptedData, {
        appid: identity.appid,
        maxAgeSeconds: options.maxAgeSeconds,
        now: options.now,
      });
      checkSignature(input, key, options.metrics);
      return data;
    } catch (err) {
      if (isOpenDataError(err) && err.code === 'DECRYPT_FAILED') continue;
      if (isOpenDataError(err)) options.metrics.decryptFailures.inc({ reason: err.code });
      throw err;
    }
  }
  options.metrics.decryptFailures.inc({ reason: 'SESSION_KEY_STALE' });
  throw new ApiError('SESSION_KEY_STALE');
}

function checkSignature(input: OpenDataInput, sessionKey: string, metrics: Metrics): void {
  if (input.rawData === undefined && input.signature === undefined) return;
  if (input.rawData === undefined || input.signature === undefined) {
    throw new ApiError('INVALID_REQUEST', {
      en: 'Send rawData and signature together, or neither.',
      zh: 'rawData 和 signature 要么一起发送，要么都不发送。',
    });
  }
  if (!verifyRawDataSignature(input.rawData, input.signature, sessionKey)) {
    metrics.decryptFailures.inc({ reason: 'SIGNATURE_MISMATCH' });
    throw new ApiError('SIGNATURE_MISMATCH');
  }
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The profile fields worth keeping from decrypted getUserInfo / getUserProfile data. Anonymous
 * placeholders ("微信用户", the gray avatar, gender 0, empty region) never overwrite what we have.
 */
export function profileFromOpenData(data: OpenData): ProfilePatch {
  const patch: ProfilePatch = {};
  if (!isAnonymousNickname(data.nickName)) patch.nickname = String(data.nickName).trim();
  if (!isDefaultAvatar(data.avatarUrl)) patch.avatarUrl = String(data.avatarUrl);
  if (data.gender === 1 || data.gender === 2) patch.gender = data.gender;
  const country = text(data.country);
  const province = text(data.province);
  const city = text(data.city);
  const language = text(data.language);
  if (country) patch.country = country;
  if (province) patch.province = province;
  if (city) patch.city = city;
  if (language) patch.language = language;
  return patch;
}
