import { WxFail } from './convention.ts';
import type { EmulatorPhone } from './emulator-phone.ts';
import type { PrivacyModel } from './privacy.ts';
import type { SimulatedUser } from './simulated-user.ts';
import type { LocalFiles } from './upload.ts';

/** `e.detail` of `<button open-type="chooseAvatar" bindchooseavatar>`. */
export interface ChooseAvatarDetail {
  /** A temporary file on the phone, for wx.uploadFile: "wxfile://tmp_….png". Empty when refused. */
  avatarUrl: string;
  /** Only when the privacy guide stood in the way (the stand-in's choice: WeChat's docs are silent). */
  errMsg?: string;
  errno?: number;
}

/** `e.detail` of `<button open-type="getPhoneNumber" bindgetphonenumber>` and of getRealtimePhoneNumber. */
export interface GetPhoneNumberDetail {
  errMsg: string;
  code?: string;
  encryptedData?: string;
  iv?: string;
  /** 1400001 the app's quota is spent, 104/103 no privacy consent, 112 not in the privacy guide. */
  errno?: number;
}

/** `e.detail` of `<button open-type="agreePrivacyAuthorization" bindagreeprivacyauthorization>`. */
export interface AgreePrivacyDetail {
  errMsg: string;
}

export interface PhoneButtonOptions {
  /** How the phone spells a refusal: "getPhoneNumber:fail user deny" (ios, the default) or "…:fail:user deny" (android). */
  platform?: 'ios' | 'android';
  /** false: a base library before 2.21.2, which gives only the legacy encryptedData and iv. */
  code?: boolean;
}

/**
 * The open-type buttons of a page, pressed by the simulated user. They are components, not wx
 * APIs: the page gets an event whose `detail` says what happened, failures included.
 */
export interface StandInButtons {
  /** The user picks `bytes` in the chooseAvatar sheet: they become a temporary file on the phone. */
  chooseAvatar(bytes: Uint8Array, extension?: string): WechatMiniprogram.CustomEvent<ChooseAvatarDetail>;
  /**
   * The user taps getPhoneNumber (quick verification): privacy consent first (the app's popup or
   * WeChat's), then the app's quota (errno 1400001 when spent), then the sheet asks the user (a
   * ScriptedUser's `deniesDialogs` refuses).
   */
  getPhoneNumber(options?: PhoneButtonOptions): Promise<WechatMiniprogram.CustomEvent<GetPhoneNumberDetail>>;
  /** The same with getRealtimePhoneNumber (real-time verification): a code only, billed apart. */
  getRealtimePhoneNumber(options?: PhoneButtonOptions): Promise<WechatMiniprogram.CustomEvent<GetPhoneNumberDetail>>;
  /** The user taps the privacy popup's agree button with this `id`: consent to every declared type. */
  agreePrivacyAuthorization(buttonId: string): WechatMiniprogram.CustomEvent<AgreePrivacyDetail>;
}

/** The image type by its first bytes, for a realistic temporary file name. */
function extensionOf(bytes: Uint8Array): string {
  const starts = (...magic: number[]) => magic.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpg';
  if (starts(0x47, 0x49, 0x46)) return 'gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.slice(8, 12)) === 'WEBP') return 'webp';
  return 'jpg';
}

function tempName(): string {
  const random = new Uint8Array(12);
  crypto.getRandomValues(random);
  return `tmp_${Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function createButtons(
  files: LocalFiles,
  user: SimulatedUser,
  phone: EmulatorPhone,
  privacy: PrivacyModel,
): StandInButtons {
  const openedAt = Date.now();
  const event = <D extends WechatMiniprogram.IAnyObject>(
    type: string,
    detail: D,
    id = '',
  ): WechatMiniprogram.CustomEvent<D> => {
    const target = { id, dataset: {}, offsetLeft: 0, offsetTop: 0 };
    return { type, timeStamp: Date.now() - openedAt, target, currentTarget: target, mark: {}, detail };
  };

  /** The phone buttons: privacy, then quota, then the user, then the emulator's code. */
  async function phoneButton(api: 'getPhoneNumber' | 'getRealtimePhoneNumber', options: PhoneButtonOptions) {
    const type = api.toLowerCase();
    const failed = (errMsg: string, errno?: number) =>
      event(type, {
        errMsg: options.platform === 'android' ? errMsg.replace(':fail ', ':fail:') : errMsg,
        ...(errno !== undefined && { errno }),
      } as GetPhoneNumberDetail);
    try {
      await privacy.check(api, `button.${api}`);
    } catch (err) {
      if (err instanceof WxFail) return failed(err.errMsg, err.errno);
      throw err;
    }
    // The quota is looked at when the button is tapped, before the user is asked (§21).
    if ((await phone.phoneUsage()).remaining <= 0) return failed(`${api}:fail no quota`, 1400001);
    const allowed = await user.authorize({ scope: 'phoneNumber', api });
    const answer = await phone.answer(api, { deny: !allowed });
    const { errMsg } = answer;
    if (!errMsg.endsWith(':ok')) return failed(errMsg, typeof answer.errno === 'number' ? answer.errno : undefined);
    return { answer, errMsg };
  }

  return {
    chooseAvatar(bytes, extension = extensionOf(bytes)) {
      const refused = privacy.refusesAtOnce('chooseAvatar');
      if (refused) return event('chooseavatar', { avatarUrl: '', errMsg: refused.errMsg, errno: refused.errno });
      const avatarUrl = `wxfile://${tempName()}.${extension}`;
      files.set(avatarUrl, new Uint8Array(bytes));
      return event('chooseavatar', { avatarUrl });
    },

    agreePrivacyAuthorization(buttonId) {
      privacy.tapAgree(buttonId);
      return event('agreeprivacyauthorization', { errMsg: 'agreePrivacyAuthorization:ok' }, buttonId);
    },

    async getRealtimePhoneNumber(options = {}) {
      const outcome = await phoneButton('getRealtimePhoneNumber', options);
      if (!('answer' in outcome)) return outcome;
      const detail: GetPhoneNumberDetail = { errMsg: outcome.errMsg };
      if (options.code !== false && typeof outcome.answer.code === 'string') detail.code = outcome.answer.code;
      return event('getrealtimephonenumber', detail);
    },

    async getPhoneNumber(options = {}) {
      const outcome = await phoneButton('getPhoneNumber', options);
      if (!('answer' in outcome)) return outcome;
      const { answer, errMsg } = outcome;
      const detail: GetPhoneNumberDetail = { errMsg };
      if (options.code !== false && typeof answer.code === 'string') detail.code = answer.code;
      if (typeof answer.encryptedData === 'string' && typeof answer.iv === 'string') {
        detail.encryptedData = answer.encryptedData;
        detail.iv = answer.iv;
      }
      return event('getphonenumber', detail);
    },
  };
}
