import type { Kysely } from 'kysely';
import { auditRow } from './audit-row.ts';
import { insertGrouped } from './grouped-inserts.ts';
import type { Database } from './tables.ts';

/**
 * The security events worth a record (issue 12): what a privacy reviewer, a support engineer and
 * an incident responder ask "when, which user, from where". Details carry counts, categories and
 * codes only — never a secret, token, code or full phone number.
 */
export type AuditEventType =
  | 'login'
  | 'signup.refused'
  | 'logout'
  | 'refresh.reused'
  | 'phone.bound'
  | 'deletion.requested'
  | 'deletion.cancelled'
  | 'deletion.purged'
  | 'export'
  | 'push.received'
  | 'push.profile_cleared'
  | 'push.revoked'
  | 'push.identity_removed'
  | 'push.media_check'
  | 'operator.sessions_revoked'
  | 'operator.deleted'
  | 'operator.exported'
  | 'operator.unflagged'
  | 'qr_login.created'
  | 'qr_login.scanned'
  | 'qr_login.confirmed'
  | 'qr_login.cancelled';

export interface AuditEvent {
  id: string;
  at: number;
  type: AuditEventType;
  appid: string | null;
  userId: string | null;
  ip: string | null;
  rid: string | null;
  details: Record<string, unknown> | null;
}

export type NewAuditEvent = Partial<Omit<AuditEvent, 'id' | 'type'>> & { type: AuditEventType };

/** Resolves once the event is committed; concurrent events share one INSERT (./grouped-inserts.ts). */
export { auditRow } from './audit-row.ts';

export async function recordAuditEvent(db: Kysely<Database>, event: NewAuditEvent, now = Date.now()): Promise<void> {
  await insertGrouped(db, 'audit_events', auditRow(event, now));
}

export interface AuditFilter {
  userId?: string | undefined;
  appid?: string | undefined;
  /** A type, or a prefix ending in `.` (`push.`). */
  type?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  limit?: number | undefined;
}

/** Newest first. */
export async function listAuditEvents(db: Kysely<Database>, filter: AuditFilter = {}): Promise<AuditEvent[]> {
  let query = db.selectFrom('audit_events').selectAll();
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.appid !== undefined) query = query.where('appid', '=', filter.appid);
  if (filter.type !== undefined) {
    query = filter.type.endsWith('.')
      ? query.where('type', 'like', `${filter.type.replace(/[%_\\]/g, '')}%`)
      : query.where('type', '=', filter.type);
  }
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  const rows = await query
    .orderBy('at', 'desc')
    .orderBy('id')
    .limit(filter.limit ?? 100)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    type: row.type as AuditEventType,
    appid: row.appid,
    userId: row.user_id,
    ip: row.ip,
    rid: row.rid,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
  }));
}

/** Retention: deletes events older than `before`; the count deleted. */
export async function deleteAuditEventsBefore(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db.deleteFrom('audit_events').where('at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
