export { contentKey } from './content-key.ts';
export { LocalMediaStore, type LocalMediaStoreOptions } from './local-media-store.ts';
export {
  assertMediaKey,
  MEDIA_KEY,
  type MediaObject,
  type MediaStore,
  mediaKeyOfUrl,
  PUT_REFRESH_MS,
  type StoredMedia,
} from './media-store.ts';
export { MediaStoreError, type MediaStoreErrorCode, type MediaStoreErrorDetails } from './media-store-error.ts';
export { type PruneMediaOptions, type PruneMediaResult, pruneMedia } from './prune-media.ts';
export { S3MediaStore, type S3MediaStoreOptions } from './s3-media-store.ts';
