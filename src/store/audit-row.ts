import type { Insertable } from 'kysely';
import type { NewAuditEvent } from './audit.ts';
import { newTimeOrderedId } from './ids.ts';
import type { AuditEventsTable } from './tables.ts';

/** The row an event is stored as: also what a login stores in one statement with its identity (./login.ts). */
export function auditRow(event: NewAuditEvent, now = Date.now()): Insertable<AuditEventsTable> & { id: string } {
  return {
    id: newTimeOrderedId('a', event.at ?? now),
    at: event.at ?? now,
    type: event.type,
    appid: event.appid ?? null,
    user_id: event.userId ?? null,
    ip: event.ip ?? null,
    rid: event.rid ?? null,
    details: event.details ? JSON.stringify(event.details) : null,
  };
}
