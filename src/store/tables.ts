import type { Generated } from 'kysely';

/**
 * Row shapes as the database holds them, identical on SQLite and PostgreSQL. Every time is an
 * integer of epoch milliseconds (BIGINT on PostgreSQL, INTEGER on SQLite): it compares and sorts
 * the same way on both, and never meets a time-zone setting. Flags are 0/1 integers for the same
 * reason. Repositories map rows to the camelCase types callers see.
 */
export interface Database {
  users: UsersTable;
  identities: IdentitiesTable;
  sessions: SessionsTable;
  signing_keys: SigningKeysTable;
  unionid_conflicts: UnionIdConflictsTable;
  replaced_media: ReplacedMediaTable;
  audit_events: AuditEventsTable;
  avatar_checks: AvatarChecksTable;
}

export interface UsersTable {
  id: string;
  unionid: string | null;
  nickname: string | null;
  avatar_url: string | null;
  /** WeChat's convention: 0 unknown, 1 male, 2 female. */
  gender: Generated<number>;
  country: string | null;
  province: string | null;
  city: string | null;
  language: string | null;
  /** Without country code (WeChat's purePhoneNumber). */
  phone_number: string | null;
  phone_country_code: string | null;
  phone_verified_at: number | null;
  nickname_review: Generated<number>;
  created_at: number;
  updated_at: number;
  /** When the user asked to delete the account; null when no deletion is pending. */
  deletion_requested_at: number | null;
  /** When `weapp-auth cleanup` purges the account (the cooling-off period's end). */
  deletion_due_at: number | null;
  /** Where WeChat's avatar check stands: null (none or passed), `pending`, `review`, `risky`. */
  avatar_review: string | null;
}

export interface IdentitiesTable {
  id: string;
  user_id: string;
  appid: string;
  openid: string;
  unionid: string | null;
  /** Sealed with the identity id as context. */
  session_key_current: string;
  session_key_previous: string | null;
  /**
   * HMAC-SHA256 of the current session key under a subkey of the secret key (SecretBox.fingerprints):
   * lets SQL tell whether a login brought a new key. NULL on rows from before migration 0006 until
   * their next login.
   */
  session_key_fingerprint: string | null;
  session_key_updated_at: number;
  created_at: number;
  last_login_at: number;
}

export interface SessionsTable {
  id: string;
  family_id: string;
  user_id: string;
  appid: string;
  refresh_token_hash: string;
  replaced_by: string | null;
  expires_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
  created_at: number;
  last_used_at: number;
  user_agent: string | null;
  ip: string | null;
}

/** Every column of a sessions row, in order (the object literal makes the list exhaustive). */
export const SESSION_COLUMNS = Object.keys({
  id: 0,
  family_id: 0,
  user_id: 0,
  appid: 0,
  refresh_token_hash: 0,
  replaced_by: 0,
  expires_at: 0,
  revoked_at: 0,
  revoke_reason: 0,
  created_at: 0,
  last_used_at: 0,
  user_agent: 0,
  ip: 0,
} satisfies Record<keyof SessionsTable, 0>) as (keyof SessionsTable)[];

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** The private JWK as JSON, sealed with the kid as context. */
  private_jwk: string;
  created_at: number;
  retired_at: number | null;
  not_after: number | null;
}

export interface UnionIdConflictsTable {
  id: string;
  appid: string;
  openid: string;
  unionid: string;
  user_id: string;
  other_user_id: string | null;
  created_at: number;
  last_seen_at: number;
}

export interface ReplacedMediaTable {
  /** A media key (content hash + extension). */
  key: string;
  replaced_at: number;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  /** What happened, e.g. `login`, `logout`, `deletion.requested`, `push.revoke` (see src/store/audit.ts). */
  type: string;
  appid: string | null;
  user_id: string | null;
  ip: string | null;
  /** WeChat's request id where WeChat was involved. */
  rid: string | null;
  /** JSON of non-personal details (counts, categories, codes); never a secret or a phone number. */
  details: string | null;
}

/** One media_check_async submission of an avatar, matched with its push by trace_id. */
export interface AvatarChecksTable {
  trace_id: string;
  appid: string;
  user_id: string;
  avatar_url: string;
  submitted_at: number;
  /** `pass`, `review`, `risky` or `error` (WeChat could not check it); null until the push. */
  verdict: string | null;
  label: number | null;
  decided_at: number | null;
}
