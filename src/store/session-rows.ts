import type { Selectable } from 'kysely';
import { newTimeOrderedId } from './ids.ts';
import type { SessionsTable } from './tables.ts';

/*
 * Sessions as rows and as the store answers them: what both ./sessions.ts and the procedures the
 * SQLite writer thread runs (./sqlite-procedures.ts) need, without Kysely at run time.
 */

/**
 * One refresh token's row. A login starts a family (the session the user sees, whose id is the
 * family id and goes into access tokens as `sid`); each refresh adds a row to the family and
 * points the old one at it through `replacedBy`, so a replaced token shown again is recognised as
 * reuse. Only the token's SHA-256 (behind the row's id, ../tokens/refresh-token.ts) is stored: a
 * database leak does not hand out sessions.
 */
export interface Session {
  /** `s_` and 26 base32 characters. */
  id: string;
  familyId: string;
  userId: string;
  appid: string;
  refreshTokenHash: string;
  replacedBy: string | null;
  expiresAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
  createdAt: number;
  lastUsedAt: number;
  userAgent: string | null;
  ip: string | null;
}

export type RevokeReason = 'logout' | 'reuse' | 'admin' | 'deletion';

export interface NewSession {
  userId: string;
  appid: string;
  /**
   * The refresh token's stored form: its session id and SHA-256 (../tokens/refresh-token.ts), or
   * the bare SHA-256 for a token of the old form. Unique; the store treats it as an opaque key.
   */
  refreshTokenHash: string;
  expiresAt: number;
  userAgent?: string | undefined;
  ip?: string | undefined;
}

export interface Rotation {
  /** The stored form of the refresh token being presented. */
  refreshTokenHash: string;
  /** The stored form of its successor's. */
  newRefreshTokenHash: string;
  /** The successor's id, when its token names it (../tokens/refresh-token.ts); else a new one. */
  successorId?: string | undefined;
  expiresAt: number;
  userAgent?: string | undefined;
  ip?: string | undefined;
}

/**
 * `rotated`: this call won and `session` is the successor. Otherwise the presented token is no
 * longer usable: `reused` (already replaced — a stolen copy or a lost race; the caller decides
 * whether to revoke the family), `revoked`, `expired`, or `unknown` (no such token).
 */
export type RotationResult =
  | {
      status: 'rotated';
      session: Session;
      previous: Session;
      /** The session's openid, read by the rotation itself; null when the identity is gone. */
      openid?: string | null;
    }
  | { status: 'reused' | 'revoked' | 'expired'; session: Session }
  | { status: 'unknown' };

export function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    familyId: row.family_id,
    userId: row.user_id,
    appid: row.appid,
    refreshTokenHash: row.refresh_token_hash,
    replacedBy: row.replaced_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    userAgent: row.user_agent,
    ip: row.ip,
  };
}

/** A live row joining `from`'s family: a rotation's successor or a fork's sibling. */
export function siblingRow(
  from: Session,
  input: Pick<Rotation, 'expiresAt' | 'userAgent' | 'ip'> & { refreshTokenHash: string },
  now: number,
  id: string = newTimeOrderedId('s', now),
): Selectable<SessionsTable> {
  return {
    id,
    family_id: from.familyId,
    user_id: from.userId,
    appid: from.appid,
    refresh_token_hash: input.refreshTokenHash,
    replaced_by: null,
    expires_at: input.expiresAt,
    revoked_at: null,
    revoke_reason: null,
    created_at: now,
    last_used_at: now,
    user_agent: input.userAgent ?? from.userAgent,
    ip: input.ip ?? from.ip,
  };
}
