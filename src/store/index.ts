export {
  type AuditEvent,
  type AuditEventType,
  type AuditFilter,
  auditRow,
  deleteAuditEventsBefore,
  listAuditEvents,
  type NewAuditEvent,
  recordAuditEvent,
} from './audit.ts';
export { type OpenDatabaseOptions, openDatabase, type StoreDatabase } from './database.ts';
export { type DatabaseTarget, DEFAULT_DATABASE_URL, parseDatabaseUrl } from './database-url.ts';
export { type DialectName, isDatabaseUnavailable, isForeignKeyViolation } from './dialects.ts';
export { isStoreError, StoreError, type StoreErrorCode, UnionIdConflictError } from './errors.ts';
export {
  findIdentity,
  findIdentityForUser,
  getSessionKeys,
  type Identity,
  type SessionKeys,
  toIdentity,
} from './identities.ts';
export { type LoginInput, type LoginResult, type LoginWrites, upsertIdentityOnLogin } from './login.ts';
export { migrateToLatest } from './migrate.ts';
export { loadPg } from './pg-driver.ts';
export {
  linkNewUserByPhone,
  type PhoneLinkInput,
  type PhoneLinkRefusal,
  type PhoneLinkResult,
} from './phone-link.ts';
export { randomBytesPooled } from './random-bytes.ts';
export { forgetReplacedMediaBefore, listReplacedMediaSince, recordReplacedMedia } from './replaced-media.ts';
export { type ResealResult, resealAll } from './reseal.ts';
export { createSecretBox, parseSecretKey, type SecretBox, type SecretPurpose } from './secret-box.ts';
export {
  createSession,
  deleteExpiredSessions,
  draftedSession,
  draftSession,
  findSessionByRefreshHash,
  findSessionUser,
  findUserOfLiveSession,
  forkSession,
  isSessionActive,
  type NewSession,
  newSessionId,
  type RevokeReason,
  type Rotation,
  type RotationResult,
  revokeFamily,
  revokeSession,
  revokeUserSessions,
  rotateSession,
  type Session,
  type SessionDraft,
  storeSessionDraft,
} from './sessions.ts';
export {
  deleteExpiredSigningKeys,
  insertSigningKey,
  type Jwk,
  listSigningKeys,
  type NewSigningKey,
  retireSigningKey,
  type SigningKey,
} from './signing-keys.ts';
export { isSignup } from './signup.ts';
export { type OpenStoreOptions, openStore, type Store } from './store.ts';
export type { Database } from './tables.ts';
export { listUnionIdConflicts, type UnionIdConflict } from './unionid-conflicts.ts';
export {
  avatarInUse,
  cancelDeletion,
  clearPhone,
  clearProfile,
  type DeletionState,
  exportUserData,
  listDueDeletions,
  type PurgedUser,
  purgeUser,
  removeIdentity,
  requestDeletion,
  type UserExport,
} from './user-rights.ts';
export {
  findUserById,
  type Gender,
  listAvatarUrls,
  type PhoneNumber,
  type ProfilePatch,
  setUserPhone,
  type User,
  updateUserProfile,
} from './users.ts';
