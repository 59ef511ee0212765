import type { Insertable } from 'kysely';
import { type AuditEventsTable, SESSION_COLUMNS, type SessionsTable } from './tables.ts';

/*
 * The INSERTs of the rows written per login and refresh, as SQL text: for ./grouped-inserts.ts and
 * the procedures of the SQLite writer thread (./sqlite-procedures.ts), without Kysely at run time.
 */

/** The tables written once per login or refresh, whose rows are independent of each other. */
export interface GroupedTables {
  audit_events: AuditEventsTable;
  sessions: SessionsTable;
}
export type GroupedTable = keyof GroupedTables;

/** The columns each grouped INSERT names, in order; a row's missing optional columns go in as NULL. */
const COLUMNS: { [T in GroupedTable]: readonly (keyof GroupedTables[T])[] } = {
  audit_events: ['id', 'at', 'type', 'appid', 'user_id', 'ip', 'rid', 'details'],
  sessions: SESSION_COLUMNS,
};

const texts = new Map<string, string>();

/** The INSERT of `count` rows into `table`, as SQL text, made once per table, count and dialect. */
export function insertText(table: GroupedTable, count: number, postgres: boolean): string {
  const key = `${table} ${count} ${postgres}`;
  let text = texts.get(key);
  if (text === undefined) {
    const columns = COLUMNS[table] as readonly string[];
    let n = 0;
    const tuple = () => `(${columns.map(() => (postgres ? `$${++n}` : '?')).join(', ')})`;
    text = `insert into ${table} (${columns.join(', ')}) values ${Array.from({ length: count }, tuple).join(', ')}`;
    texts.set(key, text);
  }
  return text;
}

/** The rows' values in the order of {@link insertText}'s placeholders; a missing optional column is NULL. */
export function insertValues<T extends GroupedTable>(
  table: T,
  rows: readonly Insertable<GroupedTables[T]>[],
): unknown[] {
  const columns = COLUMNS[table] as readonly string[];
  const values: unknown[] = [];
  for (const row of rows) for (const column of columns) values.push((row as Record<string, unknown>)[column] ?? null);
  return values;
}
