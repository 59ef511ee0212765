import { decryptOpenData, type OpenData } from './open-data.ts';

/**
 * Drop-in replacement for the official `WXBizDataCrypt` sample, for code migrating from it:
 * `new WXBizDataCrypt(appId, sessionKey).decryptData(encryptedData, iv)`.
 * Unlike the sample it throws a typed `OpenDataError` (with a `code`) instead of "Illegal Buffer",
 * and validates the key, iv and padding strictly.
 */
export class WXBizDataCrypt {
  readonly appId: string;
  readonly #sessionKey: string;

  constructor(appId: string, sessionKey: string) {
    this.appId = appId;
    this.#sessionKey = sessionKey;
  }

  decryptData(encryptedData: string, iv: string): OpenData {
    return decryptOpenData(this.#sessionKey, iv, encryptedData, { appid: this.appId });
  }
}
