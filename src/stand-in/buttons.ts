import type { EmulatorPhone } from './emulator-phone.ts';
import type { SimulatedUser } from './simulated-user.ts';
import type { LocalFiles } from './upload.ts';

/** `e.detail` of `<button open-type="chooseAvatar" bindchooseavatar>`. */
export interface ChooseAvatarDetail {
  /** A temporary file on the phone, for wx.uploadFile: "wxfile://tmp_….png". */
  avatarUrl: string;
}

/** `e.detail` of `<button open-type="getPhoneNumber" bindgetphonenumber>`. */
export interface GetPhoneNumberDetail {
  errMsg: string;
  code?: string;
  encryptedData?: string;
  iv?: string;
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
  /** The user taps getPhoneNumber; the sheet asks them (a ScriptedUser's `deniesDialogs` refuses). */
  getPhoneNumber(options?: PhoneButtonOptions): Promise<WechatMiniprogram.CustomEvent<GetPhoneNumberDetail>>;
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

export function createButtons(files: LocalFiles, user: SimulatedUser, phone: EmulatorPhone): StandInButtons {
  const openedAt = Date.now();
  const event = <D extends WechatMiniprogram.IAnyObject>(type: string, detail: D): WechatMiniprogram.CustomEvent<D> => {
    const target = { id: '', dataset: {}, offsetLeft: 0, offsetTop: 0 };
    return { type, timeStamp: Date.now() - openedAt, target, currentTarget: target, mark: {}, detail };
  };

  return {
    chooseAvatar(bytes, extension = extensionOf(bytes)) {
      const avatarUrl = `wxfile://${tempName()}.${extension}`;
      files.set(avatarUrl, new Uint8Array(bytes));
      return event('chooseavatar', { avatarUrl });
    },

    async getPhoneNumber(options = {}) {
      const allowed = await user.authorize({ scope: 'phoneNumber', api: 'getPhoneNumber' });
      const answer = await phone.answer('getPhoneNumber', { deny: !allowed });
      const { errMsg } = answer;
      if (!errMsg.endsWith(':ok')) {
        return event('getphonenumber', {
          errMsg: options.platform === 'android' ? errMsg.replace(':fail ', ':fail:') : errMsg,
        });
      }
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
