import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import { type Database, loadPg } from '../store/index.ts';
import type { Invalidation } from '../tokens/live-sessions.ts';
import { encode, RemoteBus, type RemoteBusOptions } from './remote-bus.ts';

export interface PostgresBusOptions extends RemoteBusOptions {
  connectionString: string;
  /** The store's database: invalidations are published with pg_notify through its pool. */
  db: Kysely<Database>;
  /** The schema the tables live in: deployments (and test runs) sharing a database stay apart. */
  schema?: string | undefined;
  timeoutMs?: number | undefined;
  /** false: publish only (the CLI), no LISTEN connection and no heartbeats. */
  listen?: boolean | undefined;
  onError?: ((err: Error) => void) | undefined;
}

/** NOTIFY channels are per database and at most 63 bytes: one per schema, hashed when long. */
export function channelFor(schema: string | undefined): string {
  const channel = schema ? `weapp_auth_invalidations_${schema}` : 'weapp_auth_invalidations';
  return channel.length <= 63
    ? channel
    : `weapp_auth_invalidations_${createHash('sha256')
        .update(schema ?? '')
        .digest('hex')
        .slice(0, 24)}`;
}

/**
 * Invalidations over PostgreSQL LISTEN/NOTIFY, for deployments without Redis: one dedicated
 * connection per instance listens (outside the pool: a pooled connection would stop listening
 * when returned), reconnecting with backoff when it drops; heartbeats go out on that connection
 * and come back to it. A NOTIFY is delivered only to sessions connected when it commits, so every
 * drop empties the cache (RemoteBus). Not through PgBouncer in transaction mode, which cannot LISTEN.
 */
export class PostgresInvalidationBus extends RemoteBus {
  readonly #options: PostgresBusOptions;
  readonly #channel: string;
  #client: pg.Client | undefined;
  #closed = false;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;

  private constructor(options: PostgresBusOptions) {
    super(options);
    this.#options = options;
    this.#channel = channelFor(options.schema);
  }

  static async open(options: PostgresBusOptions): Promise<PostgresInvalidationBus> {
    const bus = new PostgresInvalidationBus(options);
    if (options.listen !== false) {
      await bus.#listen();
      bus.startHeartbeats();
    }
    return bus;
  }

  /**
   * A NOTIFY is handed to the other sessions' backends after the commit, not before it returns;
   * waiting for this instance's own listener to hear it back means every listener has been
   * signalled by then (the window left: another backend scheduled later than ours).
   */
  async publish(event: Invalidation): Promise<void> {
    this.deliver(event);
    if (this.#options.listen === false) {
      await sql`select pg_notify(${this.#channel}, ${encode(event)})`.execute(this.#options.db);
      return;
    }
    await this.sendAndHear(event, async (message) => {
      await sql`select pg_notify(${this.#channel}, ${message})`.execute(this.#options.db);
    });
  }

  protected async send(message: string): Promise<void> {
    const client = this.#client;
    if (client) await client.query('select pg_notify($1, $2)', [this.#channel, message]);
  }

  protected reconnect(): void {
    this.#drop(this.#client);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.stopHeartbeats();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #listen(): Promise<void> {
    const { Client } = await loadPg();
    const client = new Client({
      connectionString: this.#options.connectionString,
      // Its application_name in pg_stat_activity is the channel: operators (and the tests that cut it) find it by that.
      application_name: this.#channel,
      keepAlive: true,
      connectionTimeoutMillis: this.#options.timeoutMs ?? 10_000,
    });
    client.on('notification', (n) => {
      if (n.channel === this.#channel && n.payload !== undefined) this.receive(n.payload);
    });
    client.on('error', (err) => {
      this.#options.onError?.(err);
      this.#drop(client);
    });
    client.on('end', () => this.#drop(client));
    try {
      await client.connect();
      await client.query(`listen ${client.escapeIdentifier(this.#channel)}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    this.#client = client;
    this.#failures = 0;
  }

  /** The listening connection is gone (or stalled): stop trusting, and listen again with backoff. */
  #drop(client: pg.Client | undefined): void {
    if (!client || client !== this.#client) return;
    this.#client = undefined;
    this.lost();
    client.end().catch(() => {});
    this.#scheduleListen();
  }

  #scheduleListen(): void {
    if (this.#closed || this.#retry) return;
    const delay = Math.min(50 * 2 ** this.#failures, 2000);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#closed) return;
      this.#listen().catch((err: Error) => {
        this.#failures++;
        this.#options.onError?.(err);
        this.#scheduleListen();
      });
    }, delay);
    this.#retry.unref();
  }
}
