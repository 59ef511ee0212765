/**
 * Every way the store refuses input, as a closed union so callers can `switch` on `code`.
 * Driver errors (a lost connection, a full disk) are not wrapped: they are operational failures,
 * not answers the API can give.
 */
export type StoreErrorCode =
  | 'INVALID_DATABASE_URL'
  | 'INVALID_SCHEMA_NAME'
  | 'INVALID_SECRET_KEY'
  | 'MALFORMED_CIPHERTEXT'
  | 'UNSUPPORTED_CIPHERTEXT_VERSION'
  | 'DECRYPT_FAILED'
  | 'MIGRATION_FAILED'
  | 'UNIONID_CONFLICT'
  | 'DATABASE_UNAVAILABLE';

export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * WeChat returned a unionid for an identity whose user cannot take it — another user already
 * holds it, or the user holds a different one. Merging two accounts is a business decision, so
 * the login is refused and the case recorded (see `listUnionIdConflicts`).
 */
export class UnionIdConflictError extends StoreError {
  override readonly name = 'UnionIdConflictError';
  readonly appid: string;
  readonly openid: string;
  readonly unionid: string;
  /** The user the identity belongs to. */
  readonly userId: string;
  /** The user that already holds the unionid, when one does. */
  readonly otherUserId: string | null;

  constructor(details: { appid: string; openid: string; unionid: string; userId: string; otherUserId: string | null }) {
    super(
      'UNIONID_CONFLICT',
      details.otherUserId
        ? `WeChat says ${details.appid}/${details.openid} has a unionid that belongs to another user; accounts are not merged automatically.`
        : `WeChat returned a different unionid for ${details.appid}/${details.openid} than the one its user holds.`,
    );
    this.appid = details.appid;
    this.openid = details.openid;
    this.unionid = details.unionid;
    this.userId = details.userId;
    this.otherUserId = details.otherUserId;
  }
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}
