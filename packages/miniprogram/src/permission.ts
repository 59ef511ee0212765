import { AuthError } from './errors.ts';
import { invoke } from './invoke.ts';
import type { WxApi, WxAuthSetting } from './wx-api.ts';

/** An authorization scope: 'scope.userInfo', 'scope.userLocation'… */
export type Scope = string;

/** The modal that sends the user to the settings page after a refusal. */
export interface PromptWording {
  title: string;
  content: string;
  /** At most 4 characters on WeChat. */
  confirmText: string;
  cancelText: string;
}

export const DEFAULT_USERINFO_PROMPT: PromptWording = {
  title: '需要你的授权',
  content: '完善登录资料需要使用你的微信昵称和头像。请在设置中打开「用户信息」后返回继续。',
  confirmText: '去设置',
  cancelText: '暂不',
};

/** Whether the user refused `scope` before: WeChat then fails the API without asking again. */
export async function wasRefused(wx: WxApi, scope: Scope): Promise<boolean> {
  const { authSetting } = await invoke<{ authSetting: WxAuthSetting }>('getSetting', (settle) => wx.getSetting(settle));
  return (authSetting as Record<string, unknown>)[scope] === false;
}

/**
 * The tutorial's dance after a refusal: explain in a modal, open the settings page, and succeed
 * only when the user turned `scope` on there. Anything else is AUTH_DENIED.
 */
export async function askToOpenSettings(wx: WxApi, scope: Scope, wording: PromptWording): Promise<void> {
  let settings: Promise<{ authSetting: WxAuthSetting }> | undefined;
  const modal = await invoke<{ confirm: boolean }>('showModal', ({ success, fail }) =>
    wx.showModal({
      ...wording,
      showCancel: true,
      fail,
      success: (res) => {
        // openSetting only works right after a user tap: call it inside the modal's callback,
        // not after an await, or WeChat refuses it ("can only be invoked by user TAP gesture").
        if (res.confirm) {
          settings = invoke('openSetting', (s) => wx.openSetting(s));
          settings.catch(() => undefined);
        }
        success(res);
      },
    }),
  );
  if (!modal.confirm || !settings) {
    throw new AuthError('AUTH_DENIED', `The user declined to open the settings for ${scope}.`);
  }
  const { authSetting } = await settings;
  if ((authSetting as Record<string, unknown>)[scope] !== true) {
    throw new AuthError('AUTH_DENIED', `The user left ${scope} off in the settings.`);
  }
}
