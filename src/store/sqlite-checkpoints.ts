import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** How often the worker copies the WAL's new pages into the database file. */
const INTERVAL_MS = 200;
/**
 * The connection's own automatic checkpoint while the worker runs: a backstop far above SQLite's
 * default of 1,000 pages, reached only if the worker falls behind or stops.
 */
export const BACKSTOP_PAGES = 10_000;
/** SQLite's default, restored when the worker is gone. */
export const DEFAULT_PAGES = 1_000;

/**
 * The worker: its own connection to the file, a PASSIVE checkpoint every interval (which never
 * waits for the writer or for readers), closed on request. CommonJS source run with `eval`, so
 * it starts the same way from src/ (tsx) and dist/.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    checkpoint.run();
  } catch (err) {
    // SQLITE_BUSY: another process's checkpoint runs now; the next interval tries again.
    if (err.code !== 'SQLITE_BUSY') throw err;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * WAL checkpoints off the event loop. In WAL mode a commit appends pages to the -wal file, and
 * every 1,000 pages SQLite copies them back into the database file and syncs it — inside the
 * commit that crossed the line, on the thread that runs every request. With the login's writes
 * (an identity, a session, an audit event, each with their index pages) that copy and its fsyncs
 * cost more than the writes: 290-330 µs per login against 90-130 µs without, measured in a loop of
 * grouped login-shaped transactions on this machine. A worker thread with a connection of its own
 * takes them over; the server's connection keeps a backstop of {@link BACKSTOP_PAGES} pages in
 * case the worker falls behind, and returns to SQLite's default if the worker stops. When the
 * server writes on a thread of its own (./sqlite-writer-thread.ts) the backstop is that thread's
 * connection's, set when it starts, and stays if this worker stops. Checkpoints
 * change neither the data nor `PRAGMA data_version`, which caches watch.
 */
export class BackgroundCheckpoints {
  readonly #raw: BetterSqlite3.Database;
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #stopping = false;

  constructor(raw: BetterSqlite3.Database, path: string, onError?: (err: Error) => void) {
    this.#raw = raw;
    raw.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), intervalMs: INTERVAL_MS },
      // A few KB of live objects: a small heap keeps it from adding to the server's memory.
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
      stdout: false,
      stderr: false,
    });
    // It must never keep the process alive: the database's close stops it.
    this.#worker.unref();
    this.#worker.on('error', (err) => {
      if (this.#stopping) return;
      const stopped = new Error(`the WAL checkpoint worker stopped, the connection checkpoints again: ${err.message}`);
      onError?.(Object.assign(stopped, { code: (err as { code?: unknown }).code }));
    });
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', () => {
        // Checkpointing falls back to the connection's own; after close there is no connection.
        if (this.#raw.open) this.#raw.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
        resolve();
      });
    });
  }

  /** Resolves once the worker has closed its connection, so the last close removes the WAL. */
  stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      // Held now, so a close that is the last thing a process does still waits for it.
      this.#worker.ref();
      this.#worker.postMessage('close');
    }
    return this.#exited;
  }

  /** Resolves when the worker has ended, for whatever reason (tests). */
  get exited(): Promise<void> {
    return this.#exited;
  }
}
