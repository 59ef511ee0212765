import { createHash } from 'node:crypto';

/** Distinct statements kept prepared; beyond it new texts run unnamed (a cap on server-side memory). */
const MAX_PREPARED = 256;
/** Texts remembered as seen once, waiting for a second use. */
const MAX_SEEN = MAX_PREPARED * 4;

/**
 * Which statements go to PostgreSQL as named prepared statements. Kysely sends every query
 * unnamed, so PostgreSQL parses and plans it again each time: measured on the login's identity
 * UPDATE, 470-560 µs of the backend's CPU per call unnamed against 190-280 µs prepared, and less of
 * ours too (PostgreSQL shares the machine's cores in small deployments). A text with parameters is
 * prepared the second time it is seen, so one-off statements (an `in (…)` list of some length, a
 * report) are not; at most {@link MAX_PREPARED} texts, named by their hash so every pooled connection
 * prepares a text under the same name (node-postgres prepares a name once per connection).
 */
export class PreparedStatements {
  readonly #names = new Map<string, string>();
  readonly #seen = new Set<string>();
  readonly #refused = new Set<string>();

  /** The name to run `text` under, or undefined to run it unnamed. */
  nameFor(text: string): string | undefined {
    const name = this.#names.get(text);
    if (name !== undefined || this.#refused.has(text)) return name;
    if (!this.#seen.has(text)) {
      // Texts seen once, oldest forgotten first: a hot text first seen late is still prepared.
      this.#seen.add(text);
      if (this.#seen.size > MAX_SEEN) this.#seen.delete(this.#seen.values().next().value as string);
      return undefined;
    }
    if (this.#names.size >= MAX_PREPARED) return undefined;
    const fresh = `wa_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
    this.#names.set(text, fresh);
    return fresh;
  }

  /**
   * A prepared statement PostgreSQL refused to run again — `cached plan must not change result
   * type` (SQLSTATE 0A000) after a migration altered a table a `select *` reads: the text runs
   * unnamed from now on.
   */
  refuse(text: string): void {
    this.#names.delete(text);
    this.#refused.add(text);
  }
}

/** PostgreSQL's answer to a prepared statement whose result columns a schema change altered. */
export function isStalePlan(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && /cached plan must not change result type/.test(message);
}
