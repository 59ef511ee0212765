export { contentKey } from './content-key.ts';
export { LocalMediaStore, type LocalMediaStoreOptions } from './local-media-store.ts';
export { assertMediaKey, MEDIA_KEY, type MediaObject, type MediaStore } from './media-store.ts';
