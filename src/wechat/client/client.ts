import { sessionSignature } from '../crypto/index.ts';
import type { WeChatApi } from './errcodes.ts';
import { WeChatApiError } from './errors.ts';
import {
  createPooledExchange,
  exchangeOverFetch,
  type FetchLike,
  type JsonObject,
  type PooledExchange,
} from './http.ts';
import type {
  AppCredentials,
  Code2SessionInput,
  MsgSecCheckInput,
  PhoneNumberInput,
  SessionKeyInput,
  StableAccessTokenInput,
  UnlimitedQRCodeInput,
  UserRiskRankInput,
} from './inputs.ts';
import { silentLogger, type WeChatLogger } from './logger.ts';
import { type MediaCheckAsyncInput, type MediaCheckAsyncResult, parseMediaCheckAsync } from './media-check.ts';
import {
  type AccessTokenResult,
  type Code2SessionResult,
  type MsgSecCheckResult,
  type PhoneNumberResult,
  parseAccessToken,
  parseCode2Session,
  parseMsgSecCheck,
  parsePhoneNumber,
  parseResetSessionKey,
  parseUserRiskRank,
  type ResetSessionKeyResult,
  type UserRiskRankResult,
  type WxaCodeImage,
} from './responses.ts';
import { DEFAULT_RETRY, type RetryOptions } from './retry.ts';
import { type CallSpec, type WeChatCallEvent, WeChatTransport } from './transport.ts';

export type { WeChatCallEvent } from './transport.ts';

export const DEFAULT_BASE_URL = 'https://api.weixin.qq.com';

export interface WeChatClientOptions {
  /** Default https://api.weixin.qq.com; the emulator's URL in development and tests. May carry a path prefix. */
  baseUrl?: string;
  /** Per attempt, from sending to the last byte of the answer. Default 5000 ms. */
  timeoutMs?: number;
  /** Backoff for calls that are safe to repeat (see RetryMode). */
  retry?: Partial<RetryOptions>;
  /** Replaces the built-in keep-alive undici fetch (proxies, tests). It must honour `init.signal`. */
  fetch?: FetchLike;
  /** How long an idle connection is kept for reuse. Default 10000 ms. */
  keepAliveTimeoutMs?: number;
  logger?: WeChatLogger;
  /** Called after every attempt. Must not throw (exceptions are logged and swallowed). */
  onCall?: (event: WeChatCallEvent) => void;
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string when given`);
  return value;
}

function requireInput<T>(input: T, api: WeChatApi): T {
  if (input === null || typeof input !== 'object') throw new TypeError(`${api} expects an input object`);
  return input;
}

function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('baseUrl must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('baseUrl must be an http(s) URL');
  return url.href.replace(/\/+$/, '');
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

/**
 * WeChat's server API for mini programs. One instance serves every appid (credentials travel with
 * each call) and keeps its connections alive between calls; `close()` it on shutdown.
 */
export class WeChatClient {
  readonly baseUrl: string;
  readonly #transport: WeChatTransport;
  readonly #pool: PooledExchange | undefined;

  constructor(options: WeChatClientOptions = {}) {
    this.baseUrl = parseBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    const timeoutMs = positive(options.timeoutMs, 5000, 'timeoutMs');
    const retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!Number.isInteger(retry.attempts) || retry.attempts < 1) throw new TypeError('retry.attempts must be >= 1');
    // Our own keep-alive pool unless the caller brings a fetch (then its connections are theirs).
    const pool = options.fetch
      ? undefined
      : createPooledExchange({
          connectTimeoutMs: timeoutMs,
          keepAliveTimeoutMs: positive(options.keepAliveTimeoutMs, 10_000, 'keepAliveTimeoutMs'),
        });
    this.#pool = pool;
    this.#transport = new WeChatTransport({
      baseUrl: this.baseUrl,
      timeoutMs,
      retry,
      exchange: options.fetch ? exchangeOverFetch(options.fetch) : (pool as PooledExchange).exchange,
      logger: options.logger ?? silentLogger,
      onCall: options.onCall,
    });
  }

  /** `GET /sns/jscode2session`: trades a wx.login code for the user's openid and session_key. Never retried. */
  async code2Session(input: Code2SessionInput): Promise<Code2SessionResult> {
    const { appid, secret, code } = requireInput(input, 'code2Session');
    const query = {
      appid: requireString(appid, 'appid'),
      secret: requireString(secret, 'secret'),
      js_code: requireString(code, 'code'),
      grant_type: 'authorization_code',
    };
    return this.#transport.call(
      {
        api: 'code2Session',
        appid,
        method: 'GET',
        path: '/sns/jscode2session',
        query,
        sensitive: [secret, code],
        retry: 'never',
      },
      parseCode2Session,
    );
  }

  /**
   * `GET /cgi-bin/token`. Every call issues a new token and retires the previous one (after a
   * 5-minute overlap), so prefer AccessTokenManager, which calls this once per validity window.
   */
  async getAccessToken(input: AppCredentials): Promise<AccessTokenResult> {
    const { appid, secret } = requireInput(input, 'getAccessToken');
    const query = {
      grant_type: 'client_credential',
      appid: requireString(appid, 'appid'),
      secret: requireString(secret, 'secret'),
    };
    return this.#transport.call(
      {
        api: 'getAccessToken',
        appid,
        method: 'GET',
        path: '/cgi-bin/token',
        query,
        sensitive: [secret],
        retry: 'repeatable',
      },
      parseAccessToken,
    );
  }

  /** `POST /cgi-bin/stable_token`: the same token until it nears expiry, independent of /cgi-bin/token. */
  async getStableAccessToken(input: StableAccessTokenInput): Promise<AccessTokenResult> {
    const { appid, secret, forceRefresh = false } = requireInput(input, 'getStableAccessToken');
    const body = {
      grant_type: 'client_credential',
      appid: requireString(appid, 'appid'),
      secret: requireString(secret, 'secret'),
      force_refresh: forceRefresh === true,
    };
    return this.#transport.call(
      {
        api: 'getStableAccessToken',
        appid,
        method: 'POST',
        path: '/cgi-bin/stable_token',
        query: {},
        body,
        sensitive: [secret],
        // A forced refresh spends one of 20 a day and retires the token just issued: repeat only if unsent.
        retry: body.force_refresh ? 'unsent' : 'repeatable',
      },
      parseAccessToken,
    );
  }

  /** `POST /wxa/business/getuserphonenumber`: the phone number behind a phone code. Never retried. */
  async getPhoneNumber(input: PhoneNumberInput): Promise<PhoneNumberResult> {
    const { accessToken, appid, code, openid } = requireInput(input, 'getPhoneNumber');
    const body: JsonObject = { code: requireString(code, 'code') };
    if (optionalString(openid, 'openid') !== undefined) body.openid = openid;
    return this.#transport.call(
      {
        api: 'getPhoneNumber',
        appid: optionalString(appid, 'appid'),
        method: 'POST',
        path: '/wxa/business/getuserphonenumber',
        query: { access_token: requireString(accessToken, 'accessToken') },
        body,
        sensitive: [accessToken, code],
        retry: 'never',
      },
      parsePhoneNumber,
    );
  }

  /**
   * `GET /wxa/checksession`: whether `sessionKey` is still the user's current one. Resolves false when
   * WeChat answers 87009 (signature mismatch: stale key) or 87007; other errors throw.
   */
  async checkSessionKey(input: SessionKeyInput): Promise<boolean> {
    const { accessToken, appid, openid, sessionKey } = requireInput(input, 'checkSessionKey');
    const spec = this.#sessionKeyCall('checkSessionKey', '/wxa/checksession', {
      accessToken,
      appid,
      openid,
      sessionKey,
    });
    try {
      await this.#transport.call({ ...spec, retry: 'repeatable' }, () => undefined);
      return true;
    } catch (err) {
      if (err instanceof WeChatApiError && err.isSessionKeyInvalid) return false;
      throw err;
    }
  }

  /**
   * `GET /wxa/resetusersessionkey`: replaces the user's session_key (the old one dies at once, the new
   * one keeps its expiry). Repeated only when the first request certainly never left, because a
   * second reset signed with the dead key fails (87009) and the new key would be lost.
   */
  async resetUserSessionKey(input: SessionKeyInput): Promise<ResetSessionKeyResult> {
    const { accessToken, appid, openid, sessionKey } = requireInput(input, 'resetUserSessionKey');
    const spec = this.#sessionKeyCall('resetUserSessionKey', '/wxa/resetusersessionkey', {
      accessToken,
      appid,
      openid,
      sessionKey,
    });
    return this.#transport.call({ ...spec, retry: 'unsent' }, parseResetSessionKey);
  }

  /** `POST /wxa/msg_sec_check` (version 2): WeChat's verdict on user text. */
  async msgSecCheck(input: MsgSecCheckInput): Promise<MsgSecCheckResult> {
    const { accessToken, appid, openid, content, scene, title, nickname, signature } = requireInput(
      input,
      'msgSecCheck',
    );
    if (scene !== 1 && scene !== 2 && scene !== 3 && scene !== 4) throw new TypeError('scene must be 1, 2, 3 or 4');
    if (typeof content !== 'string') throw new TypeError('content must be a string');
    const body: JsonObject = { content, version: 2, scene, openid: requireString(openid, 'openid') };
    if (optionalString(title, 'title') !== undefined) body.title = title;
    if (optionalString(nickname, 'nickname') !== undefined) body.nickname = nickname;
    if (optionalString(signature, 'signature') !== undefined) body.signature = signature;
    return this.#transport.call(
      {
        api: 'msgSecCheck',
        appid: optionalString(appid, 'appid'),
        method: 'POST',
        path: '/wxa/msg_sec_check',
        query: { access_token: requireString(accessToken, 'accessToken') },
        body,
        sensitive: [accessToken],
        retry: 'repeatable',
      },
      parseMsgSecCheck,
    );
  }

  /**
   * `POST /wxa/media_check_async` v2 (wechat-api.md §7.2-7.3): submits an image or audio URL for
   * WeChat to check; the answer is only a trace_id, the verdict arrives later by message push
   * (`wxa_media_check`). Sent once: a repeat would start a second check under another trace_id.
   */
  async mediaCheckAsync(input: MediaCheckAsyncInput): Promise<MediaCheckAsyncResult> {
    const { accessToken, appid, mediaUrl, mediaType, openid, scene } = requireInput(input, 'mediaCheckAsync');
    if (mediaType !== 1 && mediaType !== 2) throw new TypeError('mediaType must be 1 (audio) or 2 (image)');
    if (scene !== 1 && scene !== 2 && scene !== 3 && scene !== 4) throw new TypeError('scene must be 1, 2, 3 or 4');
    return this.#transport.call(
      {
        api: 'mediaCheckAsync',
        appid: optionalString(appid, 'appid'),
        method: 'POST',
        path: '/wxa/media_check_async',
        query: { access_token: requireString(accessToken, 'accessToken') },
        body: {
          media_url: requireString(mediaUrl, 'mediaUrl'),
          media_type: mediaType,
          version: 2,
          scene,
          openid: requireString(openid, 'openid'),
        },
        sensitive: [accessToken],
        retry: 'unsent',
      },
      parseMediaCheckAsync,
    );
  }

  /**
   * `POST /wxa/getuserriskrank` (wechat-api.md §18): WeChat's risk rank of a user at sign-up
   * (scene 0) or in a promotion (scene 1). A read: repeated on transient failures.
   */
  async getUserRiskRank(input: UserRiskRankInput): Promise<UserRiskRankResult> {
    const { accessToken, appid, openid, scene, clientIp, mobileNo, emailAddress, extendedInfo, isTest } = requireInput(
      input,
      'getUserRiskRank',
    );
    if (scene !== 0 && scene !== 1) throw new TypeError('scene must be 0 or 1');
    const body: JsonObject = {
      appid: requireString(appid, 'appid'),
      openid: requireString(openid, 'openid'),
      scene,
      client_ip: requireString(clientIp, 'clientIp'),
    };
    if (optionalString(mobileNo, 'mobileNo') !== undefined) body.mobile_no = mobileNo;
    if (optionalString(emailAddress, 'emailAddress') !== undefined) body.email_address = emailAddress;
    if (optionalString(extendedInfo, 'extendedInfo') !== undefined) body.extended_info = extendedInfo;
    if (isTest !== undefined) {
      if (typeof isTest !== 'boolean') throw new TypeError('isTest must be a boolean when given');
      body.is_test = isTest;
    }
    return this.#transport.call(
      {
        api: 'getUserRiskRank',
        appid,
        method: 'POST',
        path: '/wxa/getuserriskrank',
        query: { access_token: requireString(accessToken, 'accessToken') },
        body,
        sensitive: [accessToken],
        retry: 'repeatable',
      },
      parseUserRiskRank,
    );
  }

  /**
   * `POST /wxa/getwxacodeunlimit` (wechat-api.md §19): a mini-program code that opens `page` with
   * `scene`. The image bytes on success; WeChat's errors (41030 page not published, 40169 scene too
   * long, 45009 the 5 000-a-minute limit) as WeChatApiError. Drawing again is harmless: repeatable.
   */
  async getUnlimitedQRCode(input: UnlimitedQRCodeInput): Promise<WxaCodeImage> {
    const { accessToken, appid, scene, page, checkPath, envVersion, width } = requireInput(input, 'getUnlimitedQRCode');
    const body: JsonObject = { scene: requireString(scene, 'scene') };
    if (optionalString(page, 'page') !== undefined) body.page = page;
    if (checkPath !== undefined) {
      // WeChat answers 47001 to a non-boolean (§19.1): refuse it here with a clearer message.
      if (typeof checkPath !== 'boolean') throw new TypeError('checkPath must be a boolean when given');
      body.check_path = checkPath;
    }
    if (envVersion !== undefined) {
      if (envVersion !== 'release' && envVersion !== 'trial' && envVersion !== 'develop') {
        throw new TypeError('envVersion must be release, trial or develop');
      }
      body.env_version = envVersion;
    }
    if (width !== undefined) {
      if (!Number.isInteger(width) || width < 280 || width > 1280) throw new TypeError('width must be 280-1280');
      body.width = width;
    }
    return this.#transport.callForImage({
      api: 'getUnlimitedQRCode',
      appid: optionalString(appid, 'appid'),
      method: 'POST',
      path: '/wxa/getwxacodeunlimit',
      query: { access_token: requireString(accessToken, 'accessToken') },
      body,
      sensitive: [accessToken],
      retry: 'repeatable',
    });
  }

  /** Closes the kept-alive connections (only those of the built-in pool; an injected fetch is yours). */
  async close(): Promise<void> {
    await this.#pool?.close();
  }

  #sessionKeyCall(api: WeChatApi, path: string, input: SessionKeyInput): Omit<CallSpec, 'retry'> {
    const accessToken = requireString(input.accessToken, 'accessToken');
    const sessionKey = requireString(input.sessionKey, 'sessionKey');
    const signature = sessionSignature(sessionKey, '');
    return {
      api,
      appid: optionalString(input.appid, 'appid'),
      method: 'GET',
      path,
      query: {
        access_token: accessToken,
        openid: requireString(input.openid, 'openid'),
        signature,
        sig_method: 'hmac_sha256',
      },
      sensitive: [accessToken, sessionKey, signature],
    };
  }
}
