/**
 * Where uploaded user media (avatars) live. A narrow contract so the server never knows whether the
 * bytes sit in a local directory or in S3-compatible object storage: it stores an object under a
 * key and hands out the object's public URL.
 *
 * Keys are content-addressed (see {@link contentKey}): the same bytes always get the same key, so
 * an object, once stored, never changes. That is what makes long-lived cache headers safe, and
 * what keeps an old avatar URL working after the user replaces their avatar.
 */
export interface MediaStore {
  /** Stores `bytes` under `key`. Storing a key again is harmless: it holds the same bytes. */
  put(object: MediaObject): Promise<void>;
  /** The object stored under `key`, or undefined. */
  get(key: string): Promise<MediaObject | undefined>;
  /** The absolute URL clients download `key` from (what `avatarUrl` holds). */
  urlOf(key: string): string;
}

export interface MediaObject {
  key: string;
  bytes: Uint8Array;
  /** The sniffed type, e.g. image/png; stores that keep metadata send it back when serving. */
  contentType: string;
}

/** A key is a file name: lower-case hex, one dot, an extension. Nothing that could climb a directory. */
export const MEDIA_KEY = /^[0-9a-f]{16,128}\.[a-z0-9]{1,8}$/;

export function assertMediaKey(key: string): void {
  if (typeof key !== 'string' || !MEDIA_KEY.test(key)) {
    throw new TypeError('media keys are <hex digest>.<extension>, as contentKey() makes them');
  }
}
