import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './0001_initial.ts';
import * as phoneLookup from './0002_phone_lookup.ts';
import * as replacedMedia from './0003_replaced_media.ts';
import * as userRights from './0004_user_rights.ts';
import * as avatarChecks from './0005_avatar_checks.ts';
import * as sessionKeyFingerprint from './0006_session_key_fingerprint.ts';

/**
 * Every migration, in order, in code: the list ships inside the bundle, so no directory has to be
 * found at run time. Names sort lexically; append, never edit.
 */
const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': initial,
  '0002_phone_lookup': phoneLookup,
  '0003_replaced_media': replacedMedia,
  '0004_user_rights': userRights,
  '0005_avatar_checks': avatarChecks,
  '0006_session_key_fingerprint': sessionKeyFingerprint,
});

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
