import type { Kysely } from 'kysely';
import { touchIdentityAndWriteOnSqlite } from './login.ts';
import { rotateOnSqlite } from './sessions.ts';
import type { Database } from './tables.ts';

/**
 * The store's SQLite transactions that run whole on the writer thread (./sqlite-writer-thread.ts)
 * when the server has one: the hot ones, whose statements depend on each other's answers. Sent
 * statement by statement, a transaction would cross to the thread and back for each (begin, each
 * statement, commit) and hold the writer's connection all that time, every other write waiting;
 * called here, it runs there in one go, as it does on the event loop without the thread. The
 * thread imports this module; arguments and results cross as structured clones (plain data).
 */
export const procedures = {
  touchIdentityAndWrite: touchIdentityAndWriteOnSqlite,
  rotateSession: rotateOnSqlite,
} satisfies Record<string, (db: Kysely<Database>, ...args: never[]) => Promise<unknown>>;

export type Procedures = typeof procedures;
export type ProcedureName = keyof Procedures;
/** A procedure's arguments after the database, which the thread supplies. */
export type ProcedureArgs<K extends ProcedureName> =
  Parameters<Procedures[K]> extends [unknown, ...infer A] ? A : never;
