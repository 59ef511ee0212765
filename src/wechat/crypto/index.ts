export { decodeBase64Strict } from './base64.ts';
export { isOpenDataError, OpenDataError, type OpenDataErrorCode } from './errors.ts';
export {
  type DecryptOptions,
  decryptOpenData,
  decryptUncheckedOpenData,
  type EncryptedOpenData,
  type EncryptOptions,
  encryptOpenData,
  type OpenData,
  STALE_KEY_HINT,
  type Watermark,
} from './open-data.ts';
export { rawDataSignature, sessionSignature, signaturesEqual, verifyRawDataSignature } from './signature.ts';
export { WXBizDataCrypt } from './wxbizdatacrypt.ts';
