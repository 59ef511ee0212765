import { extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import SqliteDatabase from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type QueryResult,
  SelectQueryNode,
  SqliteDialect,
  type TransactionSettings,
} from 'kysely';
import type { BackgroundCheckpoints } from './sqlite-checkpoints.ts';
import { savepointStatements } from './sqlite-group-commit.ts';
import { attachProcedures } from './sqlite-procedures.ts';
import type { CachedStatements } from './sqlite-statements.ts';
import type { WriterError, WriterOptions, WriterReplies, WriterRequest } from './sqlite-writer-worker.ts';
import type { Database } from './tables.ts';

/** The worker module beside this one: .ts when running from src/ (tsx), .js from dist/. */
const WORKER_MODULE = new URL(`./sqlite-writer-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Starts the worker module. From src/ the thread registers tsx's loader first: the loader a
 * process runs with (`--import tsx`, or registered in-process by bin/weapp-auth.js) does not
 * reach a worker thread.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})();
`;

/**
 * How recent the writer thread's look at data_version must be for a cached read to trust it when
 * the file changed since the last look that accounted for everything (see {@link
 * WriterThreadSqliteDialect.dataVersion}).
 */
const FRESH_LOOK_MS = 1;

/** The writer thread's young generation (MB): see where it is started. */
const YOUNG_GENERATION_MB = 2;

const now = () => performance.timeOrigin + performance.now();

/**
 * SQLite with its writes on a thread of their own. better-sqlite3 runs a statement on the thread
 * that calls it, and the writes of a login — the identity, its session, its audit event — and
 * their commit were 30-40 % of the event loop's time per login (BENCHMARKS.md, step 5), while
 * PostgreSQL does the same work in its own processes, on the CPU the event loop leaves idle.
 * Here every statement that writes, every explicit transaction whole, and the store's procedures
 * (./sqlite-procedures.ts: the hot transactions, one message each) run on a worker thread with a
 * connection of its own (./sqlite-writer-worker.ts), which keeps the group commit of
 * ./sqlite-group-commit-driver.ts: the writes that reach it in one turn share a commit, each answered
 * only once it is committed. Reads outside a transaction stay on the event loop's connection,
 * where they cost a function call (a message would cost more than most of them): WAL lets them
 * run beside the writer, and they see every write that has been answered, since answers wait for
 * the commit — not the writes of a group still open, which no answer has revealed yet.
 *
 * The event loop's connection is `query_only`: a write routed to it by mistake fails instead of
 * taking the write lock from the thread. Requests and answers cross in batches, one message per
 * turn each way. If the thread dies, what it was answering fails with SQLITE_IOERR (503) and the
 * next write starts a new one. The thread adds about as much CPU elsewhere as it frees on the event
 * loop (the hand-off, a second heap: BENCHMARKS.md, step 7): the server uses it where a core is
 * likely idle for it (DB_WRITER_THREAD, src/server/services.ts).
 */
export class WriterThreadSqliteDialect extends SqliteDialect {
  readonly #reads: CachedStatements;
  readonly #raw: BetterSqlite3.Database;
  readonly #writer: WriterThread;
  readonly #checkpoints: BackgroundCheckpoints | undefined;
  /** The event loop's data_version when a look of the writer's last accounted for every commit. */
  #settled: number;
  #asking = false;

  constructor(
    reads: CachedStatements,
    raw: BetterSqlite3.Database,
    options: ThreadOptions,
    checkpoints?: BackgroundCheckpoints,
  ) {
    super({ database: reads });
    raw.pragma('query_only = 1');
    this.#reads = reads;
    this.#raw = raw;
    this.#writer = new WriterThread(options);
    this.#checkpoints = checkpoints;
    this.#settled = reads.dataVersion();
  }

  override createDriver(): Driver {
    return new WriterThreadDriver(this.#reads, this.#raw, this.#writer, this.#checkpoints);
  }

  /** Lets the store call its procedures (./sqlite-procedures.ts) on `db`, the Kysely made on this dialect: on the thread. */
  attach(db: Kysely<Database>): void {
    const writer = this.#writer;
    attachProcedures(db, (name, args) => writer.request(['call', 0, name, args]));
  }

  /**
   * What the caches of ./../revocation/local-bus.ts watch: a number that changes when another
   * process committed to the file, or undefined while that is not known yet. The event loop's
   * connection sees the writer thread's commits as another connection's, so its data_version
   * alone cannot tell them from another process's; the writer's connection, which sees only the
   * others', can, and looks whenever it answers. So: the event loop's data_version unchanged since
   * a look that accounted for everything — nothing was committed by anyone; changed, and the
   * writer looked within {@link FRESH_LOOK_MS} (under load it answers all the time) — its count;
   * otherwise the writer is asked to look, and until it answers the number is unknown.
   */
  readonly dataVersion = (): number | undefined => {
    if (this.#asking) return undefined;
    const seen = this.#reads.dataVersion();
    if (seen === this.#settled || now() - this.#writer.lookedAt <= FRESH_LOOK_MS) return this.#writer.foreign;
    this.#asking = true;
    // Its look comes after `seen` was read: every commit that moved it is accounted for.
    this.#writer
      .request(['look', 0])
      .then(
        () => {
          this.#settled = seen;
        },
        () => {},
      )
      .finally(() => {
        this.#asking = false;
      });
    return undefined;
  };
}

class WriterThreadDriver implements Driver {
  readonly #reads: CachedStatements;
  readonly #raw: BetterSqlite3.Database;
  readonly #writer: WriterThread;
  readonly #checkpoints: BackgroundCheckpoints | undefined;
  #transactions = 0;

  constructor(
    reads: CachedStatements,
    raw: BetterSqlite3.Database,
    writer: WriterThread,
    checkpoints: BackgroundCheckpoints | undefined,
  ) {
    this.#reads = reads;
    this.#raw = raw;
    this.#writer = writer;
    this.#checkpoints = checkpoints;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new WriterThreadConnection(this);
  }

  async beginTransaction(connection: WriterThreadConnection, _settings: TransactionSettings): Promise<void> {
    const transaction = ++this.#transactions;
    const thread = await this.#writer.request(['begin', 0, transaction]);
    connection.transaction = transaction;
    connection.thread = thread as number;
  }

  async commitTransaction(connection: WriterThreadConnection): Promise<void> {
    await this.#inTransaction(connection, ['commit', 0, connection.transaction]);
    connection.transaction = 0;
  }

  async rollbackTransaction(connection: WriterThreadConnection): Promise<void> {
    try {
      // A thread that died took the transaction with it: nothing is left to roll back.
      if (this.#writer.runs(connection.thread))
        await this.#inTransaction(connection, ['rollback', 0, connection.transaction]);
    } finally {
      connection.transaction = 0;
    }
  }

  /** A step of the connection's transaction, on the thread that began it: a thread started since never saw it. */
  #inTransaction(connection: WriterThreadConnection, request: WriterRequest): Promise<unknown> {
    if (!this.#writer.runs(connection.thread)) return Promise.reject(threadStopped());
    return this.#writer.request(request);
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointStatements.savepoint(name));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointStatements.rollbackTo(name));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointStatements.release(name));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    // The writer commits its last group and closes; the checkpoints' connection next; this one
    // last, which removes the WAL.
    await this.#writer.close();
    await this.#checkpoints?.stop();
    this.#raw.pragma('query_only = 0');
    this.#reads.close();
  }

  /** A read outside a transaction here and now; anything else on the writer thread. */
  execute(connection: WriterThreadConnection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    const { transaction } = connection;
    const run: WriterRequest = ['run', 0, transaction, query.sql, query.parameters];
    if (transaction !== 0) return this.#inTransaction(connection, run) as Promise<QueryResult<unknown>>;
    const statement = this.#reads.prepare(query.sql) as BetterSqlite3.Statement;
    if (!statement.reader || !statement.readonly) return this.#writer.request(run) as Promise<QueryResult<unknown>>;
    try {
      return Promise.resolve({ rows: statement.all(query.parameters as unknown[]) });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async *stream(connection: WriterThreadConnection, query: CompiledQuery): AsyncIterableIterator<QueryResult<unknown>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('The SQLite driver streams SELECT queries only');
    if (connection.transaction !== 0) {
      // Inside a transaction the rows come from the writer's connection, all at once.
      const { rows } = await this.execute(connection, query);
      for (const row of rows) yield { rows: [row] };
      return;
    }
    const statement = this.#reads.prepare(query.sql) as BetterSqlite3.Statement;
    for (const row of statement.iterate(query.parameters as unknown[])) yield { rows: [row] };
  }
}

class WriterThreadConnection implements DatabaseConnection {
  readonly #driver: WriterThreadDriver;
  /** The writer thread's number for this connection's open transaction; 0 outside one. */
  transaction = 0;
  /** Which writer thread holds the transaction ({@link WriterThread.thread}). */
  thread = 0;

  constructor(driver: WriterThreadDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute(this, query) as Promise<QueryResult<R>>;
  }

  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return this.#driver.stream(this, query) as AsyncIterableIterator<QueryResult<R>>;
  }
}

/** What the thread is started with, besides its number; errors no request awaits go to `onError`. */
type ThreadOptions = Omit<WriterOptions, 'thread'> & { onError?: ((err: Error) => void) | undefined };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** The worker thread and the messages to and from it. */
class WriterThread {
  readonly #options: ThreadOptions;
  readonly #onError: ((err: Error) => void) | undefined;
  #worker: Worker | undefined;
  #exited: Promise<void> = Promise.resolve();
  #closing = false;
  readonly #pending = new Map<number, Pending>();
  #outbox: WriterRequest[] = [];
  #nextId = 1;
  /** The last reply's count from the running thread; a new thread counts from 0 again. */
  #threadForeign = 0;

  /** Which thread runs now: 1 for the first, one more for each started after another stopped. */
  thread = 0;

  /** When the writer's connection last read data_version (epoch ms). */
  lookedAt = Number.NEGATIVE_INFINITY;
  /** Moves whenever the writer saw data_version move (another process committed), and when a thread is replaced. */
  foreign = 0;

  constructor(options: ThreadOptions) {
    const { onError, ...writer } = options;
    this.#options = writer;
    this.#onError = onError;
  }

  /** True while thread number `thread` runs (it has not stopped, nor been replaced). */
  runs(thread: number): boolean {
    return this.#worker !== undefined && this.thread === thread;
  }

  /** Sends `request` (its id is set here) with the others of this turn; resolves with its answer. */
  request(request: WriterRequest): Promise<unknown> {
    if (this.#closing) return Promise.reject(new Error('the database is closed'));
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    request[1] = id;
    if (this.#pending.size === 0) worker.ref();
    if (this.#outbox.length === 0) setImmediate(() => this.#flush());
    this.#outbox.push(request);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
  }

  /** Commits what the thread holds and ends it. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker && !this.#closing) {
      const closed = this.request(['close', 0]);
      this.#closing = true;
      await closed.catch(() => {});
      // Its connection is closed; what else the thread holds (tsx's loader) must not keep it.
      await worker.terminate();
    }
    this.#closing = true;
    await this.#exited;
  }

  #flush(): void {
    const requests = this.#outbox;
    this.#outbox = [];
    if (requests.length > 0) this.#worker?.postMessage(requests);
  }

  #start(): Worker {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: {
        ...this.#options,
        thread: ++this.thread,
        entry: WORKER_MODULE.href,
        tsx: WORKER_MODULE.pathname.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : undefined,
      },
      // Statements, their parameters and rows pass through it and are dropped at once: a small
      // young generation keeps it from adding tens of MB to the server's memory. The old
      // generation's bound is far above what a transaction's rows can hold.
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: 256 },
      stdout: false,
      stderr: false,
    });
    // Held only while answers are awaited: an idle writer never keeps the process alive.
    worker.unref();
    this.#worker = worker;
    this.#threadForeign = 0;
    this.lookedAt = Number.NEGATIVE_INFINITY;
    // Whatever another process committed while no thread watched is unknown: caches start over.
    this.foreign++;
    worker.on('message', (message: WriterReplies) => this.#receive(message));
    worker.on('error', (err) => {
      if (!this.#closing) this.#onError?.(err);
    });
    this.#exited = new Promise((resolve) => {
      worker.once('exit', () => {
        if (this.#worker === worker) {
          this.#worker = undefined;
          // Not yet sent, and failed below: a new thread must not run them after their callers heard they failed.
          this.#outbox = [];
        }
        const stopped = threadStopped();
        for (const pending of this.#pending.values()) pending.reject(stopped);
        this.#pending.clear();
        resolve();
      });
    });
    return worker;
  }

  #receive({ replies, lookedAt, foreign }: WriterReplies): void {
    this.lookedAt = lookedAt;
    if (foreign !== this.#threadForeign) {
      this.#threadForeign = foreign;
      this.foreign++;
    }
    for (const [id, result, error] of replies) {
      const pending = this.#pending.get(id);
      if (!pending) continue;
      this.#pending.delete(id);
      if (error) pending.reject(fromWriterError(error));
      else pending.resolve(result);
    }
    if (this.#pending.size === 0) this.#worker?.unref();
  }
}

/** What is lost with a writer thread: unavailable (SQLITE_IOERR, a 503), and a new thread is started for the next write. */
function threadStopped(): Error {
  return new SqliteDatabase.SqliteError(
    'the SQLite writer thread stopped, and what it held uncommitted with it; the next write starts a new one',
    'SQLITE_IOERR',
  );
}

/** The error as the driver on this thread would have thrown it: SqliteError with its code, else its kind. */
function fromWriterError({ name, message, code }: WriterError): Error {
  if (code !== undefined && name === 'SqliteError') return new SqliteDatabase.SqliteError(message, code);
  const err =
    name === 'TypeError'
      ? new TypeError(message)
      : name === 'RangeError'
        ? new RangeError(message)
        : new Error(message);
  if (code !== undefined) Object.assign(err, { code });
  return err;
}
