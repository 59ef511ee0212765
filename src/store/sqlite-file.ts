import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';

/**
 * A connection to an SQLite file as every connection of ours needs it: the event loop's, and the
 * writer thread's (./sqlite-writer-worker.ts), which must agree on all of this.
 * `busyTimeoutMs`: how long a statement waits for a lock another connection holds.
 */
export function openSqliteFile(path: string, busyTimeoutMs: number): SqliteDatabase.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  // WAL lets readers run beside the writer; synchronous=NORMAL is its recommended pairing.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  // SQLite leaves foreign keys off unless asked, per connection.
  database.pragma('foreign_keys = ON');
  // Another process (a `migrate` run beside the server) may hold the write lock for a moment.
  database.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  return database;
}
