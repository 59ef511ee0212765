/// <reference types="miniprogram-api-typings" preserve="true" />
import { createButtons, type StandInButtons } from './buttons.ts';
import {
  answer,
  TapGesture,
  type WxCallbacks,
  type WxCallEvent,
  WxFail,
  type WxFailResult,
  withoutCallbacks,
} from './convention.ts';
import { emulatorPhone } from './emulator-phone.ts';
import { type PrivacyEvent, PrivacyModel, type PrivacyOptions } from './privacy.ts';
import { type RequestContext, wxRequest } from './request.ts';
import { type SimulatedUser, scriptedUser } from './simulated-user.ts';
import { MemoryStorage, PhoneStorage, type StorageArea } from './storage.ts';
import { type LocalFiles, wxUploadFile } from './upload.ts';

export interface WxStandInOptions {
  /** The emulator, whose control API (/__emulator) plays WeChat's side of the phone. */
  emulatorUrl: string;
  appid: string;
  /** The person holding the phone; a name gives a ScriptedUser who allows everything. */
  user: SimulatedUser | string;
  /**
   * `anonymous` (default) is WeChat today: getUserInfo asks nothing and answers "微信用户".
   * `legacy` is the tutorial's WeChat (before 2021-04-28): an authorization dialog the user may
   * refuse, and the real nickname and avatar.
   */
  userInfo?: 'anonymous' | 'legacy';
  /** Where storage and authorizations live: `localStorage` keeps them across page reloads. */
  storage?: StorageArea;
  /**
   * How our server learns the app: WeChat's Referer (`referer`, the default outside browsers) or,
   * where a browser forbids setting Referer, the X-WX-AppId header (`header`).
   */
  identifyApp?: 'referer' | 'header';
  /** The version in the Referer, `https://servicewechat.com/{appid}/{version}/page-frame.html`. */
  version?: string;
  /** The app's request domains (origins); requests elsewhere fail "url not in domain list". */
  allowedOrigins?: string[];
  /** The phone's local files (temporary path → bytes) that wx.uploadFile reads; default a new Map. */
  files?: LocalFiles;
  fetch?: typeof fetch;
  /**
   * The app's privacy guide (wechat-api.md §20): the data types it declares. Absent, nothing is
   * declared and no API asks for consent (as for an app before the 2023 rules).
   */
  privacy?: PrivacyOptions;
  /**
   * The phone's language as WeChat reports it in wx.getAppBaseInfo() ("zh_CN", "zh_TW", "zh_HK",
   * "en"); a function is asked at each call (the playground's language switch). Default "en".
   */
  language?: string | (() => string);
}

/** The wx APIs the stand-in implements, typed as miniprogram-api-typings types WeChat's own `wx`. */
export type StandInApis = Pick<
  WechatMiniprogram.Wx,
  | 'login'
  | 'checkSession'
  | 'request'
  | 'uploadFile'
  | 'getStorageSync'
  | 'setStorageSync'
  | 'removeStorageSync'
  | 'clearStorageSync'
  | 'getSetting'
  | 'openSetting'
  | 'showModal'
  | 'getUserInfo'
  | 'getUserProfile'
  | 'getAccountInfoSync'
  | 'getAppBaseInfo'
  | 'getPrivacySetting'
  | 'requirePrivacyAuthorize'
  | 'onNeedPrivacyAuthorization'
  | 'openPrivacyContract'
>;

/** A faithful `wx` for Node and the browser, backed by the emulator; see docs/miniprogram.md. */
export interface WxStandIn extends StandInApis {
  readonly user: SimulatedUser;
  /** The phone's local files: what chooseAvatar made, or paths a test registers. */
  readonly files: LocalFiles;
  /** The page's open-type buttons (chooseAvatar, the phone buttons, agreePrivacyAuthorization), pressed by the user. */
  readonly buttons: StandInButtons;
  /** Every step of the privacy-consent flow so far, oldest first. */
  readonly privacyLog: readonly PrivacyEvent[];
  /** Every call and outcome so far, oldest first. */
  readonly log: readonly WxCallEvent[];
  /** Sees each call and outcome as it happens; returns the unsubscribe function. */
  onCall(listener: (event: WxCallEvent) => void): () => void;
  /** Runs `handler` as a tap handler: wx APIs that need a user tap work during its synchronous part. */
  tap<T>(handler: () => T): T;
  /** Deletes the mini program from the phone: storage and authorizations. */
  uninstall(): void;
}

type Json = Record<string, unknown>;

/** Builds a `wx` whose phone side is the emulator and whose user is `options.user`. */
export function createWxStandIn(options: WxStandInOptions): WxStandIn {
  const { appid } = options;
  const user: SimulatedUser = typeof options.user === 'string' ? scriptedUser(options.user) : options.user;
  const mode = options.userInfo ?? 'anonymous';
  const phone = new PhoneStorage(options.storage ?? new MemoryStorage(), appid);
  const fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  const phoneApi = emulatorPhone(options.emulatorUrl, appid, user.name, fetcher);
  const phoneCall = phoneApi.call;
  const files: LocalFiles = options.files ?? new Map();
  const identifyApp = options.identifyApp ?? (typeof document === 'undefined' ? 'referer' : 'header');
  const platformHeaders: Record<string, string> =
    identifyApp === 'referer'
      ? { referer: `https://servicewechat.com/${appid}/${options.version ?? 'devtools'}/page-frame.html` }
      : { 'x-wx-appid': appid };
  const tap = new TapGesture();
  const log: WxCallEvent[] = [];
  const listeners = new Set<(event: WxCallEvent) => void>();
  let nextId = 1;
  const privacyLog: PrivacyEvent[] = [];
  const privacy = new PrivacyModel(options.privacy, phone, user, (event) => privacyLog.push(event));

  const emit = (event: WxCallEvent) => {
    log.push(event);
    for (const listener of listeners) listener(event);
  };

  /** A traced async API following WeChat's callback/promise convention. */
  function api<R extends object>(
    name: string,
    opts: object | undefined,
    run: () => Promise<R>,
    deliver?: (callback: () => void) => void,
  ): Promise<R> | undefined {
    const id = nextId++;
    emit({ id, api: name, phase: 'call', detail: withoutCallbacks(opts) });
    const traced = async () => {
      try {
        const result = await run();
        emit({ id, api: name, phase: 'ok', detail: { ...result } as Json });
        return result;
      } catch (err) {
        const fail = err instanceof WxFail ? err : new WxFail(`${name}:fail ${(err as Error)?.message ?? String(err)}`);
        emit({ id, api: name, phase: 'fail', detail: { ...fail.result } });
        throw fail;
      }
    };
    // The typings' fail results carry fields (errno) the stand-in does not invent.
    return answer(name, opts as WxCallbacks<R> | undefined, traced, deliver);
  }

  /** The legacy authorization dialog: asked once per scope; a refusal sticks until the settings change it. */
  async function authorize(scope: string, name: string): Promise<void> {
    const setting = phone.authSetting();
    if (setting[scope] === true) return;
    if (setting[scope] === false) throw new WxFail(`${name}:fail auth deny`);
    const allowed = await user.authorize({ scope, api: name });
    phone.saveAuthSetting({ ...phone.authSetting(), [scope]: allowed });
    if (!allowed) throw new WxFail(`${name}:fail auth deny`);
  }

  const needsTap = (name: string) => {
    if (!tap.active) throw new WxFail(`${name}:fail can only be invoked by user TAP gesture.`);
  };

  const syncCall = <T>(name: string, detail: Json, fn: () => T): T => {
    const id = nextId++;
    emit({ id, api: name, phase: 'call', detail });
    try {
      const result = fn();
      emit({ id, api: name, phase: 'ok', detail: { result } });
      return result;
    } catch (err) {
      emit({ id, api: name, phase: 'fail', detail: { errMsg: (err as Error).message } });
      throw err;
    }
  };

  /** wx.request and wx.uploadFile: real HTTP, traced. */
  const network = (name: string, opts: object): RequestContext => {
    const id = nextId++;
    emit({ id, api: name, phase: 'call', detail: withoutCallbacks(opts) });
    return {
      fetch: fetcher,
      platformHeaders,
      allowedOrigins: options.allowedOrigins,
      onSettled: (ok, detail) => emit({ id, api: name, phase: ok ? 'ok' : 'fail', detail }),
    };
  };

  const standIn = {
    user,
    files,
    buttons: createButtons(files, user, phoneApi, privacy),
    log,
    privacyLog,
    onCall(listener: (event: WxCallEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tap: <T>(handler: () => T): T => tap.run(handler),
    uninstall: () => phone.clearAll(),

    login: (opts?: WechatMiniprogram.LoginOption) =>
      api<WechatMiniprogram.LoginSuccessCallbackResult>('login', opts, () => phoneCall('login', {})),

    checkSession: (opts?: WechatMiniprogram.CheckSessionOption) =>
      api<WxFailResult>('checkSession', opts, () => phoneCall('checkSession', {})),

    getUserInfo: (opts?: WechatMiniprogram.GetUserInfoOption) =>
      api<WechatMiniprogram.GetUserInfoSuccessCallbackResult>('getUserInfo', opts, async () => {
        await privacy.check('getUserInfo', 'getUserInfo');
        if (mode === 'legacy') await authorize('scope.userInfo', 'getUserInfo');
        else phone.saveAuthSetting({ ...phone.authSetting(), 'scope.userInfo': true });
        return phoneCall('getUserInfo', {
          ...(opts?.withCredentials !== undefined && { withCredentials: opts.withCredentials }),
          ...(opts?.lang && { lang: opts.lang }),
          anonymous: mode === 'anonymous',
        });
      }),

    getUserProfile: (opts: WechatMiniprogram.GetUserProfileOption) => {
      // Checked now, synchronously: by the time the promise runs the tap is over.
      const tapped = tap.active;
      return api<WechatMiniprogram.GetUserProfileSuccessCallbackResult>('getUserProfile', opts, async () => {
        if (!tapped) needsTap('getUserProfile');
        await privacy.check('getUserProfile', 'getUserProfile');
        const desc = opts?.desc;
        if (typeof desc !== 'string' || desc.length === 0 || [...desc].length > 30) {
          throw new WxFail('getUserProfile:fail desc length does not meet the requirements');
        }
        // A dialog every time: getUserProfile has no lasting authorization.
        if (!(await user.authorize({ scope: 'scope.userInfo', api: 'getUserProfile', desc }))) {
          throw new WxFail('getUserProfile:fail auth deny');
        }
        return phoneCall('getUserProfile', {
          desc,
          ...(opts.lang && { lang: opts.lang }),
          anonymous: mode === 'anonymous',
        });
      });
    },

    getSetting: (opts?: WechatMiniprogram.GetSettingOption) =>
      api<WechatMiniprogram.GetSettingSuccessCallbackResult>(
        'getSetting',
        opts,
        async () =>
          // subscriptionsSetting only when asked for, as on the phone.
          ({
            authSetting: phone.authSetting(),
            ...(opts?.withSubscriptions && { subscriptionsSetting: { mainSwitch: true } }),
            errMsg: 'getSetting:ok',
          }) as WechatMiniprogram.GetSettingSuccessCallbackResult,
      ),

    openSetting: (opts?: WechatMiniprogram.OpenSettingOption) => {
      const tapped = tap.active;
      return api<WechatMiniprogram.OpenSettingSuccessCallbackResult>('openSetting', opts, async () => {
        if (!tapped) needsTap('openSetting');
        // The page lists only the scopes the app asked for before.
        const before = phone.authSetting();
        const edited = await user.editSettings({ ...before });
        const after = Object.fromEntries(Object.keys(before).map((scope) => [scope, edited[scope] === true]));
        phone.saveAuthSetting(after);
        return {
          authSetting: after,
          ...(opts?.withSubscriptions && { subscriptionsSetting: { mainSwitch: true } }),
          errMsg: 'openSetting:ok',
        } as WechatMiniprogram.OpenSettingSuccessCallbackResult;
      });
    },

    showModal: (opts?: WechatMiniprogram.ShowModalOption) =>
      api<WechatMiniprogram.ShowModalSuccessCallbackResult>(
        'showModal',
        opts,
        async () => {
          const confirmed = await user.answerModal({
            title: opts?.title ?? '',
            content: opts?.content ?? '',
            confirmText: opts?.confirmText ?? '确定',
            cancelText: opts?.cancelText ?? '取消',
            showCancel: opts?.showCancel ?? true,
          });
          return { confirm: confirmed, cancel: !confirmed, content: '', errMsg: 'showModal:ok' };
        },
        // The user just tapped a button of the modal: its callbacks run inside that tap.
        (callback) => tap.run(callback),
      ),

    request: (opts: WechatMiniprogram.RequestOption) => wxRequest(opts, network('request', opts)),
    uploadFile: (opts: WechatMiniprogram.UploadFileOption) =>
      wxUploadFile(opts, { ...network('uploadFile', opts), files }),

    getStorageSync: (key: string) => syncCall('getStorageSync', { key }, () => phone.get(key)),
    setStorageSync: (key: string, data: unknown) =>
      syncCall('setStorageSync', { key }, () => {
        phone.set(key, data);
      }),
    removeStorageSync: (key: string) => syncCall('removeStorageSync', { key }, () => phone.remove(key)),
    clearStorageSync: () => {
      for (const key of phone.keys()) phone.remove(key);
    },

    // The privacy APIs (base library 2.32.3): getPrivacySetting has no promise style.
    getPrivacySetting: (opts: WechatMiniprogram.GetPrivacySettingOption) =>
      api<WechatMiniprogram.GetPrivacySettingSuccessCallbackResult>(
        'getPrivacySetting',
        opts ?? { success: () => undefined },
        async () => ({ ...privacy.setting(), errMsg: 'getPrivacySetting:ok' }),
      ),
    requirePrivacyAuthorize: (opts?: WechatMiniprogram.RequirePrivacyAuthorizeOption) =>
      api<WxFailResult>('requirePrivacyAuthorize', opts, async () => {
        await privacy.check(undefined, 'requirePrivacyAuthorize');
        return { errMsg: 'requirePrivacyAuthorize:ok' };
      }),
    onNeedPrivacyAuthorization: (listener: Parameters<PrivacyModel['listen']>[0]) =>
      syncCall('onNeedPrivacyAuthorization', {}, () => privacy.listen(listener)),
    openPrivacyContract: (opts?: WechatMiniprogram.OpenPrivacyContractOption) =>
      api<WxFailResult>('openPrivacyContract', opts, async () => ({ errMsg: 'openPrivacyContract:ok' })),

    getAccountInfoSync: (): WechatMiniprogram.AccountInfo => ({
      miniProgram: { appId: appid, envVersion: 'develop', version: '' },
      plugin: { appId: '', version: '' },
    }),
    getAppBaseInfo: (): WechatMiniprogram.AppBaseInfo => ({
      SDKVersion: '3.4.0',
      PCKernelVersion: '',
      enableDebug: false,
      fontSizeScaleFactor: 1,
      fontSizeSetting: 16,
      host: { appId: 'wx-stand-in' },
      language: typeof options.language === 'function' ? options.language() : (options.language ?? 'en'),
      version: '8.0.50',
      theme: 'light',
    }),
  };
  // The wx typings declare each API generic over its options (promise only without callbacks);
  // the implementations above follow that convention at run time.
  return standIn as unknown as WxStandIn;
}
