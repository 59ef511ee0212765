import type pg from 'pg';

let driver: typeof pg | undefined;

/**
 * node-postgres, loaded the first time PostgreSQL is used. A server on SQLite never loads it: pg's
 * modules are ~3 MB of heap, and loading them reads the global `Response` (pg looks for Cloudflare
 * Workers), which makes Node load its bundled undici too — memory a SQLite server paid for nothing.
 * Resolves to the same module every time.
 */
export async function loadPg(): Promise<typeof pg> {
  driver ??= (await import('pg')).default;
  return driver;
}

/** The driver {@link loadPg} loaded; openDatabase awaits loadPg before it connects to PostgreSQL. */
export function pgDriver(): typeof pg {
  if (!driver) throw new TypeError('node-postgres used before loadPg() resolved');
  return driver;
}
