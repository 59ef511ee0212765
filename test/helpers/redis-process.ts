import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from '../../src/cli/free-port.ts';

/** Why a Redis of our own cannot be started here (no redis-server), or undefined. */
export const redisServerProblem: string | undefined = await new Promise<string | undefined>((resolve) => {
  const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  probe.once('error', () => resolve('redis-server is not installed'));
  probe.once('exit', (code) => resolve(code === 0 ? undefined : `redis-server --version exited ${code}`));
});

/**
 * A redis-server of the test's own, on its own port, without persistence: a fault test kills it
 * (SIGKILL, like a crashed node) and starts it again on the same port, as a restarted Redis.
 */
export class RedisProcess {
  #child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisProcess> {
    const redis = new RedisProcess(await freePort());
    await redis.restart();
    return redis;
  }

  /** Starts the server (again) and resolves once it answers PING. */
  async restart(): Promise<void> {
    if (this.#child) throw new Error('redis-server is already running');
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.#child = child;
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      // Up when it answers a PING; 30 s is only the bound for one that never comes up.
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await client.connect();
          await client.ping();
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          client.disconnect();
          await sleep(50);
        }
      }
    } finally {
      client.disconnect();
    }
  }

  /** SIGKILL: the server is gone at once, connections reset, nothing flushed. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
