import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { type OpenStoreOptions, openStore, type Store } from '../../src/store/index.ts';

/**
 * Runs a suite once per dialect (kysely's test-setup idea): the test is written once, and each
 * run gets databases of its own — temporary files for SQLite, fresh schemas for PostgreSQL —
 * removed when the suite ends. PostgreSQL that cannot be reached skips the suite locally and
 * fails it when CI is set, so a broken CI service never passes as green.
 */

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const inCI = Boolean(process.env.CI);

export type TestDialect = 'sqlite' | 'postgres';
export const DIALECTS: readonly TestDialect[] = ['sqlite', 'postgres'];

export interface FreshDatabase {
  url: string;
  schema?: string;
}

export interface DialectHarness {
  readonly dialect: TestDialect;
  /** A database nobody has touched: a new SQLite file, or a new empty PostgreSQL schema. */
  freshDatabase(): Promise<FreshDatabase>;
  /** A migrated store on a fresh database (or on `database`, to reopen one), closed after the suite. */
  openStore(options?: Partial<OpenStoreOptions> & { database?: FreshDatabase }): Promise<Store>;
  /** Closes `resource` after the suite, before its databases are dropped. */
  track<T extends { close(): Promise<void> }>(resource: T): T;
}

/** A fresh key per test file: nothing encrypted by one run is readable by another. */
export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  // Only a bound for a server that never answers (a refused connection fails at once): generous, so a
  // loaded machine is not taken for a missing PostgreSQL.
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 30_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function probePostgres(): Promise<string | undefined> {
  try {
    await withClient((client) => client.query('select 1'));
    return undefined;
  } catch (err) {
    return `PostgreSQL unreachable at ${redact(TEST_DATABASE_URL)} (${(err as Error).message}); set TEST_DATABASE_URL`;
  }
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. Probed once per test file. */
export const postgresProblem: string | undefined = await probePostgres();

function createHarness(dialect: TestDialect): DialectHarness & { cleanup(): Promise<void> } {
  const resources: { close(): Promise<void> }[] = [];
  const schemas: string[] = [];
  let dir: string | undefined;
  let files = 0;

  const harness = {
    dialect,
    async freshDatabase(): Promise<FreshDatabase> {
      if (dialect === 'sqlite') {
        dir ??= mkdtempSync(join(tmpdir(), 'weapp-auth-test-'));
        return { url: `sqlite:${join(dir, `db-${++files}.sqlite`)}` };
      }
      const schema = `wa_test_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      await withClient((client) => client.query(`create schema ${schema}`));
      return { url: TEST_DATABASE_URL, schema };
    },
    async openStore(options: Partial<OpenStoreOptions> & { database?: FreshDatabase } = {}): Promise<Store> {
      const { database = await harness.freshDatabase(), ...rest } = options;
      return harness.track(await openStore({ secretKey: TEST_SECRET_KEY, ...database, ...rest }));
    },
    track<T extends { close(): Promise<void> }>(resource: T): T {
      resources.push(resource);
      return resource;
    },
    async cleanup(): Promise<void> {
      // Every resource is closed and every database dropped even when a close fails; then the
      // first failure fails the suite (a stack's close checks its logs for secrets).
      const closed = await Promise.allSettled(resources.map((r) => r.close()));
      if (schemas.length > 0) {
        await withClient(async (client) => {
          for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`);
        });
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
      const failed = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
  return harness;
}

/**
 * Declares `fn`'s tests once per dialect, as `name [sqlite]` and `name [postgres]`; `only` narrows
 * that for the rare test about one engine's behaviour.
 */
export function forEachDialect(
  name: string,
  fn: (harness: DialectHarness) => void,
  options: { only?: readonly TestDialect[] } = {},
): void {
  for (const dialect of options.only ?? DIALECTS) {
    const problem = dialect === 'postgres' ? postgresProblem : undefined;
    describe(`${name} [${dialect}]`, { skip: problem !== undefined && !inCI ? problem : false }, () => {
      if (problem !== undefined) {
        before(() => {
          throw new Error(`${problem} — CI is set, so this fails instead of skipping`);
        });
      }
      const harness = createHarness(dialect);
      after(() => harness.cleanup());
      fn(harness);
    });
  }
}
