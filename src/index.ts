/**
 * weapp-auth as a library: the pieces a backend embeds or tests against. The CLI (`weapp-auth`)
 * composes the same pieces.
 */
export { type AppCredentials, type Config, ConfigError, loadConfig, type TrustProxy } from './config/config.ts';
export { type RunningEmulator, startEmulator } from './emulator/start.ts';
export {
  contentKey,
  LocalMediaStore,
  type MediaObject,
  type MediaStore,
  MediaStoreError,
  S3MediaStore,
  type S3MediaStoreOptions,
} from './media/index.ts';
export { buildServer } from './server/app.ts';
export { API_ERRORS, ApiError, type ApiErrorCode } from './server/errors.ts';
export { createServerContext } from './server/services.ts';
export * from './wechat/index.ts';
