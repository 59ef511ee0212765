import type { Kysely } from 'kysely';
import { isDatabaseUnavailable } from './dialects.ts';
import type { Database } from './tables.ts';

/** At most this many calls in one statement (the arrays stay small; a batch's rows lock together). */
const MAX_BATCH = 64;

/** A batch's answer for a call whose row another transaction held locked: it runs again alone. */
export const LOCKED: unique symbol = Symbol('locked');

/**
 * One statement over arrays: answers, for every input in order, its result or undefined (the
 * statement found nothing for it, as the single statement would have answered no row). Given more
 * than one input it must not wait for row locks (`for update skip locked`) and answers
 * {@link LOCKED} for a row it could not lock; given one, it waits as a single statement does.
 */
export type BatchStatement<I, O> = (
  db: Kysely<Database>,
  inputs: readonly I[],
) => Promise<(O | undefined | typeof LOCKED)[]>;

interface Pending<I, O> {
  input: I;
  key: string;
  resolve: (result: O | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * Concurrent calls of one hot PostgreSQL statement — a returning login, a refresh token's
 * rotation — run as one statement over arrays of their inputs (`unnest … with ordinality`). On
 * PostgreSQL a statement's fixed cost (the round trip, the executor, the commit and its WAL flush)
 * is most of a login's: measured with 20 logins in flight on this 2-core machine, one statement
 * per login cost PostgreSQL 355-583 µs of CPU and us 196-342 µs; 5 logins per statement 105 and 71
 * µs each, 20 per statement 68 and 42 µs. A call made while no statement of its kind is in flight
 * runs at once, alone (no added latency when idle); calls that arrive while one is in flight wait
 * for it and go together in the next, so batches grow with the load and only with it.
 *
 * Every call still resolves only once its own statement committed. Two calls with the same key
 * (one identity, one refresh token) never share a statement: the second waits for the next, so
 * it sees the first's row as a single statement after it would. A batch that fails for a reason of
 * its rows (a constraint, a deadlock) is run again one call at a time, so the error reaches only
 * the call it belongs to; a database that cannot answer fails
 * every call of the batch, and every call waiting, at once instead of N times over. A batch never
 * waits for a row lock (an operator's transaction on one account would stall every login behind
 * it): a row held locked is left to a statement of its own, which waits as it always did.
 */
export class StatementBatches<I, O> {
  readonly #db: Kysely<Database>;
  readonly #statement: BatchStatement<I, O>;
  readonly #key: (input: I) => string;
  #queue: Pending<I, O>[] = [];
  #running = false;

  constructor(db: Kysely<Database>, statement: BatchStatement<I, O>, key: (input: I) => string) {
    this.#db = db;
    this.#statement = statement;
    this.#key = key;
  }

  run(input: I): Promise<O | undefined> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, key: this.#key(input), resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) await this.#runBatch(this.#takeBatch());
    } finally {
      this.#running = false;
    }
  }

  /** The queue's first calls with distinct keys, up to {@link MAX_BATCH}; the rest keep their order. */
  #takeBatch(): Pending<I, O>[] {
    const batch: Pending<I, O>[] = [];
    const keys = new Set<string>();
    const left: Pending<I, O>[] = [];
    for (const pending of this.#queue) {
      if (batch.length < MAX_BATCH && !keys.has(pending.key)) {
        keys.add(pending.key);
        batch.push(pending);
      } else {
        left.push(pending);
      }
    }
    this.#queue = left;
    return batch;
  }

  async #runBatch(batch: Pending<I, O>[]): Promise<void> {
    let results: (O | undefined | typeof LOCKED)[];
    try {
      results = await this.#statement(
        this.#db,
        batch.map((p) => p.input),
      );
    } catch (err) {
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        // The calls that queued meanwhile would meet the same database: they fail now, not in turn.
        for (const p of [...batch, ...this.#queue.splice(0)]) p.reject(err);
        return;
      }
      // For a reason of its rows: each call again in a statement of its own, where its error is its own.
      results = batch.map(() => LOCKED);
    }
    const alone: Pending<I, O>[] = [];
    for (const [i, p] of batch.entries()) {
      const result = results[i];
      if (result === LOCKED) alone.push(p);
      else p.resolve(result);
    }
    // Not awaited: a call waiting for a lock on its own connection holds up no batch after it.
    for (const p of alone) void this.#runAlone(p);
  }

  /** One call in a statement of its own, which waits for its row's lock; it never answers LOCKED. */
  async #runAlone(p: Pending<I, O>): Promise<void> {
    try {
      const [result] = await this.#statement(this.#db, [p.input]);
      p.resolve(waited(result));
    } catch (err) {
      p.reject(err);
    }
  }
}

/** The answer of a statement run for one call, which waits for locks and so never answers LOCKED. */
function waited<O>(result: O | undefined | typeof LOCKED): O | undefined {
  if (result === LOCKED) throw new Error('a statement run for one call answered LOCKED: it must wait for the lock');
  return result;
}

const batchers = new WeakMap<Kysely<Database>, Map<BatchStatement<never, unknown>, StatementBatches<never, unknown>>>();

/**
 * Runs `statement` for `input`, batched with concurrent calls of the same statement on the same
 * database. Inside a transaction it runs alone: its writes belong to that transaction.
 */
export function runBatched<I, O>(
  db: Kysely<Database>,
  statement: BatchStatement<I, O>,
  key: (input: I) => string,
  input: I,
): Promise<O | undefined> {
  if (db.isTransaction) {
    return statement(db, [input]).then(([result]) => waited(result));
  }
  let byStatement = batchers.get(db);
  if (!byStatement) {
    byStatement = new Map();
    batchers.set(db, byStatement);
  }
  let batches = byStatement.get(statement as BatchStatement<never, unknown>) as StatementBatches<I, O> | undefined;
  if (!batches) {
    batches = new StatementBatches(db, statement, key);
    byStatement.set(
      statement as BatchStatement<never, unknown>,
      batches as unknown as StatementBatches<never, unknown>,
    );
  }
  return batches.run(input);
}
