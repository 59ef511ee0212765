/**
 * Every way open-data crypto can fail, as a closed union so callers can `switch` on `code`.
 * Bad input never escapes as a raw OpenSSL or JSON exception.
 */
export type OpenDataErrorCode =
  | 'INVALID_SESSION_KEY'
  | 'INVALID_IV'
  | 'MALFORMED_CIPHERTEXT'
  | 'DECRYPT_FAILED'
  | 'INVALID_PLAINTEXT'
  | 'WATERMARK_MISMATCH'
  | 'DATA_EXPIRED'
  | 'SIGNATURE_MISMATCH';

export class OpenDataError extends Error {
  override readonly name = 'OpenDataError';
  readonly code: OpenDataErrorCode;

  constructor(code: OpenDataErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function isOpenDataError(err: unknown): err is OpenDataError {
  return err instanceof OpenDataError;
}
