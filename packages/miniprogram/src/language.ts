import type { WxApi } from './wx-api.ts';

/**
 * What the SDK sends as Accept-Language, so the server's error `message`s come in the user's
 * language (the `code`s never change):
 * - absent: the mini program's language, wx.getAppBaseInfo().language (base library 2.20.1), else
 *   wx.getSystemInfoSync().language on older ones;
 * - a string: that language ("zh-CN", or WeChat's own "zh_CN");
 * - a function: asked before each request (an app with a language switch of its own);
 * - `false`: no Accept-Language (the server answers in English).
 */
export type LanguageOption = string | (() => string | undefined) | false;

/** A language tag as the header carries it: letters and digits in dash-separated parts. */
const TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

/**
 * WeChat's language ("zh_CN", "zh_HK", "zh_TW", "en") as a BCP 47 tag ("zh-CN"…); undefined for
 * anything that is not a tag, so no odd value ever reaches a header.
 */
export function languageTag(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const tag = value.trim().replace(/_/g, '-');
  return TAG.test(tag) ? tag : undefined;
}

/** The mini program's language as WeChat reports it, read once (it restarts the app on a change). */
function wechatLanguage(wx: WxApi): () => string | undefined {
  let read = false;
  let language: string | undefined;
  return () => {
    if (!read) {
      read = true;
      try {
        language = languageTag((wx.getAppBaseInfo ?? wx.getSystemInfoSync)?.call(wx)?.language);
      } catch {
        // Outside WeChat (Taro's H5 build) either may throw: no language, no header.
      }
    }
    return language;
  };
}

/** The Accept-Language of the next request, or undefined to send none. */
export function acceptLanguage(wx: WxApi, option: LanguageOption | undefined): () => string | undefined {
  if (option === false) return () => undefined;
  if (typeof option === 'function') return () => languageTag(option());
  if (typeof option === 'string') {
    const tag = languageTag(option);
    return () => tag;
  }
  return wechatLanguage(wx);
}

/** `header` with Accept-Language added, unless the caller set one or there is none to send. */
export function withLanguage(header: Record<string, string> | undefined, language: string | undefined) {
  if (!language || Object.keys(header ?? {}).some((name) => name.toLowerCase() === 'accept-language')) return header;
  return { ...header, 'Accept-Language': language };
}
