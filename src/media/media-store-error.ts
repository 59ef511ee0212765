/**
 * Why a store could not do what it was asked, as a closed set callers can switch on:
 *
 * - `MEDIA_DENIED`: the storage refused our credentials or permissions (401/403): a configuration
 *   problem that will not pass by itself;
 * - `MEDIA_TIMEOUT`: no answer in time;
 * - `MEDIA_UNREACHABLE`: no connection (DNS, refused, reset);
 * - `MEDIA_BAD_RESPONSE`: an answer we cannot read (a listing that is not a listing);
 * - `MEDIA_FAILED`: any other error answer.
 */
export type MediaStoreErrorCode =
  | 'MEDIA_DENIED'
  | 'MEDIA_TIMEOUT'
  | 'MEDIA_UNREACHABLE'
  | 'MEDIA_BAD_RESPONSE'
  | 'MEDIA_FAILED';

export interface MediaStoreErrorDetails {
  /** What was attempted, e.g. `PUT avatars/<key>` or `LIST avatars/`. */
  operation: string;
  /** The HTTP status, when the storage answered. */
  status?: number;
  /** The storage's own error code, e.g. SignatureDoesNotMatch, NoSuchBucket. */
  storageCode?: string;
}

/**
 * The message and fields are built from what is safe to log only: the operation, the status and
 * the storage's error code. Never the request's URL with its query, its headers (the signature),
 * the credentials, or the storage's error body (S3 echoes the access key and string-to-sign).
 */
export class MediaStoreError extends Error {
  override readonly name = 'MediaStoreError';
  readonly code: MediaStoreErrorCode;
  readonly operation: string;
  readonly status: number | undefined;
  readonly storageCode: string | undefined;

  constructor(code: MediaStoreErrorCode, message: string, details: MediaStoreErrorDetails) {
    super(message);
    this.code = code;
    this.operation = details.operation;
    this.status = details.status;
    this.storageCode = details.storageCode;
  }
}
