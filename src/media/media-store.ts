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
  /**
   * Stores `bytes` under `key`. Storing a key again is harmless: it holds the same bytes. It also
   * refreshes the object's `storedAt` when that is older than {@link PUT_REFRESH_MS}, so pruning
   * never takes an object somebody has just uploaded again.
   */
  put(object: MediaObject): Promise<void>;
  /** The object stored under `key`, or undefined. */
  get(key: string): Promise<MediaObject | undefined>;
  /** The absolute URL clients download `key` from (what `avatarUrl` holds). */
  urlOf(key: string): string;
  /** Every object held, in no particular order; anything that is not a content key is skipped. */
  list(): AsyncIterable<StoredMedia>;
  /** Removes `key`; removing a key that is not there is harmless. */
  delete(key: string): Promise<void>;
}

export interface MediaObject {
  key: string;
  bytes: Uint8Array;
  /** The sniffed type, e.g. image/png; stores that keep metadata send it back when serving. */
  contentType: string;
}

export interface StoredMedia {
  key: string;
  /** When the bytes were last stored (ms since the epoch): a file's mtime, an object's Last-Modified. */
  storedAt: number;
}

/**
 * How stale `storedAt` may stay when an object is put again: a store may skip the write for an
 * object stored more recently than this (S3MediaStore does, after a HEAD). Pruning never uses a
 * shorter grace period, or it could delete an object between its re-upload and the user's update.
 */
export const PUT_REFRESH_MS = 24 * 3600_000;

/** A key is a file name: lower-case hex, one dot, an extension. Nothing that could climb a directory. */
export const MEDIA_KEY = /^[0-9a-f]{16,128}\.[a-z0-9]{1,8}$/;

export function assertMediaKey(key: string): void {
  if (typeof key !== 'string' || !MEDIA_KEY.test(key)) {
    throw new TypeError('media keys are <hex digest>.<extension>, as contentKey() makes them');
  }
}

/**
 * The media key an avatar URL points at (its last path segment), or undefined for URLs that are not
 * ours — WeChat's own avatar URLs end in a size such as `/132`. Whatever store made the URL: after
 * a move from the local directory to S3, old URLs still name the same content keys.
 */
export function mediaKeyOfUrl(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const key = path.slice(path.lastIndexOf('/') + 1);
  return MEDIA_KEY.test(key) ? key : undefined;
}
