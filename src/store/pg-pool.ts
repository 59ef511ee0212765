import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { StoreError } from './errors.ts';
import { pgDriver } from './pg-driver.ts';
import { isStalePlan, PreparedStatements } from './pg-prepared.ts';

/**
 * node-postgres made safe for a server that must outlive its database (STYLE.md, "Staying up"):
 * - a pg Client with no `error` listener ends the process when its connection dies. The pool
 *   listens while a client is idle, but not while it is checked out (between two statements of a
 *   transaction, say); we listen for the whole life of every client.
 * - a client whose connection failed, or whose query timed out (a network partition: the answer
 *   may still come, and every later query would queue behind it), is destroyed on release instead
 *   of going back to the pool; until then it refuses new queries at once.
 * - statements Kysely sends repeatedly run as named prepared statements (./pg-prepared.ts).
 * Kysely sees an ordinary pool.
 */
export class ResilientPool implements PostgresPool {
  readonly #pool: pg.Pool;
  readonly #broken = new WeakMap<pg.PoolClient, Error>();
  readonly #prepared: PreparedStatements | undefined;

  constructor(config: pg.PoolConfig, onError: (err: Error) => void, prepare = false) {
    this.#prepared = prepare ? new PreparedStatements() : undefined;
    this.#pool = new (pgDriver().Pool)(config);
    // An idle client died: the pool already dropped it; this listener keeps the process alive.
    this.#pool.on('error', onError);
    this.#pool.on('connect', (client) => {
      client.on('error', (err: Error) => {
        this.#broken.set(client, err);
      });
      this.#guardQueries(client);
    });
  }

  async connect(): Promise<PostgresPoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      // Refused, timed out, too many connections, shutting down, the pool ended: all "not now".
      throw unavailable(err);
    }
    const release = client.release;
    // Kysely releases with `true` only after a failed rollback; a broken client goes too.
    client.release = (destroy?: boolean | Error) => release(destroy || this.#broken.get(client));
    return client;
  }

  async end(): Promise<void> {
    await this.#pool.end();
  }

  #guardQueries(client: pg.PoolClient): void {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const fault = this.#broken.get(client);
      if (fault) return Promise.reject(unavailable(fault));
      const [text, values] = args;
      // Kysely's form: (text, values). Cursors, configs and callbacks pass through as they are.
      const name =
        typeof text === 'string' && Array.isArray(values) && values.length > 0 && args.length === 2
          ? this.#prepared?.nameFor(text)
          : undefined;
      const result = name === undefined ? query(...args) : query({ name, text, values });
      if (!(result instanceof Promise)) return result;
      return result.catch((err: unknown) => {
        if (name !== undefined && isStalePlan(err)) {
          // Outside a transaction (the status before this statement was idle) it simply runs again
          // unnamed; inside one PostgreSQL has aborted the transaction, and the caller's error stands.
          this.#prepared?.refuse(text as string);
          if (client.getTransactionStatus() === 'I') return query(text, values);
        }
        if (isConnectionFault(err)) this.#broken.set(client, err as Error);
        throw isConnectionFault(err) || isUnavailableState((err as { code?: unknown }).code) ? unavailable(err) : err;
      });
    };
  }
}

/**
 * Marks a driver error as the database's unavailability where it happens, so the API can answer
 * 503 DATABASE_UNAVAILABLE without guessing from error codes that any socket (WeChat's, S3's) shares.
 */
function unavailable(err: unknown): StoreError {
  const reason = err instanceof Error ? err.message : String(err);
  return new StoreError('DATABASE_UNAVAILABLE', `PostgreSQL cannot serve now: ${reason}`, { cause: err });
}

/** Node's socket errors: the database host is down, unreachable, or cut the connection. */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** node-postgres reports a lost or stuck connection with these messages and no code. */
const PG_CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Cannot use a pool after calling end/;

/** The connection itself failed (as opposed to the statement): the client must not be reused. */
function isConnectionFault(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && SOCKET_ERRORS.has(code)) ||
    (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message))
  );
}

/**
 * SQLSTATEs that mean "the database cannot serve now", not "this statement is wrong": connection
 * exceptions (08), insufficient resources (53, e.g. too many connections), shutdown or restart in
 * progress (57P01-57P03), a statement cancelled by statement_timeout (57014).
 */
function isUnavailableState(code: unknown): boolean {
  return typeof code === 'string' && (/^(08|53)/.test(code) || /^57P0[123]$/.test(code) || code === '57014');
}

/** True for the errors this pool marked: PostgreSQL is down, unreachable, overloaded or too slow. */
export function isPostgresUnavailable(err: unknown): boolean {
  return err instanceof StoreError && err.code === 'DATABASE_UNAVAILABLE';
}
