import type { Redis } from 'ioredis';
import { boundedRedisOptions, CacheError, newRedisClient } from '../cache/index.ts';
import type { Invalidation } from '../tokens/live-sessions.ts';
import { encode, RemoteBus, type RemoteBusOptions } from './remote-bus.ts';

export interface RedisBusOptions extends RemoteBusOptions {
  url: string;
  /** The channel: `<cache prefix>invalidations`, so deployments sharing a Redis stay apart. */
  channel: string;
  timeoutMs?: number | undefined;
  /** false: publish only (the CLI), no subscription and no heartbeats. */
  listen?: boolean | undefined;
  onError?: ((err: Error) => void) | undefined;
}

/** Name of the subscriber connection in CLIENT LIST, before `:<channel>` (operators and the tests that cut it find it by this). */
export const SUBSCRIBER_NAME = 'weapp-auth-invalidations';

/**
 * Invalidations over Redis pub/sub: one subscriber connection per instance (a connection in
 * subscriber mode can do nothing else) and one for publishing. ioredis reconnects and subscribes
 * again by itself; every drop in between empties the cache (RemoteBus).
 */
export class RedisInvalidationBus extends RemoteBus {
  readonly #channel: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis | undefined;

  private constructor(options: RedisBusOptions, publisher: Redis, subscriber: Redis | undefined) {
    super(options);
    this.#channel = options.channel;
    this.#publisher = publisher;
    this.#subscriber = subscriber;
  }

  static async open(options: RedisBusOptions): Promise<RedisInvalidationBus> {
    const onError = options.onError ?? (() => {});
    const publisher = await newRedisClient(options.url, boundedRedisOptions(options.timeoutMs));
    publisher.on('error', onError);
    const subscriber =
      options.listen === false
        ? undefined
        : await newRedisClient(options.url, {
            ...boundedRedisOptions(options.timeoutMs),
            connectionName: `${SUBSCRIBER_NAME}:${options.channel}`,
          });
    const bus = new RedisInvalidationBus(options, publisher, subscriber);
    try {
      await publisher.connect();
      if (subscriber) {
        subscriber.on('error', onError);
        subscriber.on('message', (channel: string, message: string) => {
          if (channel === options.channel) bus.receive(message);
        });
        // Whatever was published while the connection was down never arrives.
        subscriber.on('close', () => bus.lost());
        subscriber.on('ready', () => {
          // ioredis subscribes again on reconnect too; a second SUBSCRIBE to the same channel is a no-op.
          subscriber.subscribe(options.channel).catch(() => bus.lost());
        });
        await subscriber.connect();
        bus.startHeartbeats();
      }
    } catch (err) {
      publisher.disconnect();
      subscriber?.disconnect();
      throw err;
    }
    return bus;
  }

  async publish(event: Invalidation): Promise<void> {
    this.deliver(event);
    try {
      await this.#publisher.publish(this.#channel, encode(event));
    } catch (err) {
      // Redis away: CACHE_UNAVAILABLE (503); the change is committed, so repeating the request is safe.
      throw new CacheError('UNAVAILABLE', `Redis did not take the invalidation: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  protected async send(message: string): Promise<void> {
    await this.#publisher.publish(this.#channel, message);
  }

  protected reconnect(): void {
    this.#subscriber?.disconnect(true);
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    this.#subscriber?.disconnect();
    await this.#publisher.quit().catch(() => this.#publisher.disconnect());
  }
}
