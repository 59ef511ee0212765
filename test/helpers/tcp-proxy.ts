import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'close' | 'hold';

/**
 * A TCP proxy a fault test controls, between the server and a dependency (PostgreSQL):
 * - `pass`: bytes flow both ways;
 * - `close`: every open connection is closed and new ones are closed on arrival (the database
 *   stopped);
 * - `hold`: bytes stop flowing and new connections get no answer, but nothing is closed (a
 *   partition: packets held, the peer silent). `pass` again lets the held bytes through.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();
  #mode: ProxyMode = 'pass';
  #held: (() => void)[] = [];
  port = 0;

  private constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Connections open through the proxy right now. */
  get connections(): number {
    return this.#pairs.size;
  }

  setMode(mode: ProxyMode): void {
    this.#mode = mode;
    if (mode === 'close') {
      for (const pair of this.#pairs) this.#drop(pair);
      for (const release of this.#held.splice(0)) release();
    } else if (mode === 'hold') {
      for (const { client, upstream } of this.#pairs) {
        client.pause();
        upstream?.pause();
      }
    } else {
      for (const { client, upstream } of this.#pairs) {
        client.resume();
        upstream?.resume();
      }
      for (const release of this.#held.splice(0)) release();
    }
  }

  async close(): Promise<void> {
    for (const pair of this.#pairs) this.#drop(pair);
    this.#held = [];
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined };
    this.#pairs.add(pair);
    client.on('error', () => this.#drop(pair));
    client.on('close', () => this.#drop(pair));
    if (this.#mode === 'close') {
      this.#drop(pair);
      return;
    }
    const connect = () => {
      if (this.#mode === 'close' || client.destroyed) {
        this.#drop(pair);
        return;
      }
      const upstream = createConnection(this.targetPort, this.targetHost);
      pair.upstream = upstream;
      upstream.on('error', () => this.#drop(pair));
      upstream.on('close', () => this.#drop(pair));
      client.pipe(upstream);
      upstream.pipe(client);
      if (this.#mode === 'hold') {
        client.pause();
        upstream.pause();
      }
    };
    if (this.#mode === 'hold') {
      client.pause();
      this.#held.push(connect);
    } else connect();
  }

  #drop(pair: { client: Socket; upstream: Socket | undefined }): void {
    if (!this.#pairs.delete(pair)) return;
    // Closed as a database that stops closes (its terminate message is the pg_terminate_backend
    // test's). Not resetAndDestroy(): on Node 20 a socket reset after being paused keeps its handle
    // spinning in the event loop, and the test process never exits.
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
