/**
 * The writer thread of an SQLite file (./sqlite-writer-thread.ts explains why): its own connection,
 * and on it the group commit of ./sqlite-group-commit-driver.ts, unchanged — the statements that
 * arrive in one turn of this thread's event loop share a commit, explicit transactions and the
 * store's procedures (./sqlite-procedures.ts) are savepoints inside the group. The event loop sends requests in batches; answers go back in batches, each batch with
 * this connection's latest look at `PRAGMA data_version` (what other processes committed).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { DatabaseConnection } from 'kysely';
import { openSqliteFile } from './sqlite-file.ts';
import { GroupCommitDriver } from './sqlite-group-commit-driver.ts';
import { type ProcedureName, runProcedure } from './sqlite-procedures.ts';
import { CachedStatements } from './sqlite-statements.ts';

export interface WriterOptions {
  path: string;
  busyTimeoutMs: number;
  /** The connection's automatic checkpoint, in WAL pages (a backstop when a checkpoint thread runs). */
  autocheckpointPages: number;
  /** This thread's number (the event loop counts them), returned by `begin`. */
  thread: number;
}

/**
 * One request. `transaction` 0 is a statement outside any explicit transaction (it joins the
 * group); any other number names the event loop's transaction the statement belongs to.
 */
export type WriterRequest =
  | [kind: 'run', id: number, transaction: number, sql: string, parameters: readonly unknown[]]
  | [kind: 'begin' | 'commit' | 'rollback', id: number, transaction: number]
  | [kind: 'call', id: number, procedure: ProcedureName, args: readonly unknown[]]
  | [kind: 'look' | 'close', id: number];

/** An error as it crosses threads: SQLite's code (SQLITE_BUSY, SQLITE_CONSTRAINT_UNIQUE, …) kept. */
export interface WriterError {
  name: string;
  message: string;
  code?: string | undefined;
}

export interface WriterReplies {
  replies: [id: number, result: unknown, error?: WriterError][];
  /** When this connection last read data_version (epoch ms, `performance.timeOrigin + now()`). */
  lookedAt: number;
  /** How many times data_version was seen to move: commits by other processes (never by this connection). */
  foreign: number;
}

if (parentPort) {
  const port = parentPort;
  const options = workerData as WriterOptions;
  const raw = openSqliteFile(options.path, options.busyTimeoutMs);
  raw.pragma(`wal_autocheckpoint = ${Math.trunc(options.autocheckpointPages)}`);
  const statements = new CachedStatements(raw);
  // Kysely is not loaded here (12 MB of this thread's heap): the driver and the procedures need none of it.
  const driver = new GroupCommitDriver(statements, raw, options.busyTimeoutMs, undefined);
  const outside = await driver.acquireConnection();
  const transactions = new Map<number, DatabaseConnection>();

  let version = statements.dataVersion();
  let foreign = 0;
  let lookedAt = performance.timeOrigin + performance.now();
  const look = () => {
    if (!raw.open) return;
    const now = performance.timeOrigin + performance.now();
    const seen = statements.dataVersion();
    if (seen !== version) foreign++;
    version = seen;
    lookedAt = now;
  };

  let outbox: WriterReplies['replies'] = [];
  let closed = false;
  const flush = () => {
    look();
    const replies = outbox;
    outbox = [];
    port.postMessage({ replies, lookedAt, foreign } satisfies WriterReplies);
    // The close's own reply went with these: nothing is left to answer (the event loop ends the thread).
    if (closed) port.close();
  };
  const reply = (entry: WriterReplies['replies'][number]) => {
    // Answers of one turn (a group's commit settles all its statements at once) go back together.
    if (outbox.length === 0) setImmediate(flush);
    outbox.push(entry);
  };

  const transaction = (id: number): DatabaseConnection => {
    const connection = transactions.get(id);
    if (!connection) throw new Error(`no open transaction ${id} on the writer thread`);
    return connection;
  };

  const perform = async (request: WriterRequest): Promise<unknown> => {
    switch (request[0]) {
      case 'run': {
        const [, , id, sql, parameters] = request;
        const connection = id === 0 ? outside : transaction(id);
        return driver.execute(connection, { sql, parameters });
      }
      case 'call':
        return runProcedure(driver, request[2], request[3]);
      case 'begin': {
        const connection = await driver.acquireConnection();
        await driver.beginTransaction(connection);
        transactions.set(request[2], connection);
        return options.thread;
      }
      case 'commit':
        // Kept until it succeeds: a failed commit is followed by a rollback.
        transaction(request[2]);
        await driver.commitTransaction();
        transactions.delete(request[2]);
        return undefined;
      case 'rollback':
        try {
          await driver.rollbackTransaction(transaction(request[2]));
        } finally {
          transactions.delete(request[2]);
        }
        return undefined;
      case 'look':
        look();
        return foreign;
      case 'close':
        // The open group commits first; then the connection closes, and with the last reply the thread ends.
        await driver.destroy();
        closed = true;
        return undefined;
    }
  };

  port.on('message', (requests: WriterRequest[]) => {
    for (const request of requests) {
      perform(request).then(
        (result) => reply([request[1], result]),
        (err: unknown) => reply([request[1], undefined, toWriterError(err)]),
      );
    }
  });
}

function toWriterError(err: unknown): WriterError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' && { code }) };
}
