import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

/**
 * "Ticket `id` changed": how a confirmation on one instance reaches an event stream held by
 * another. The message carries only the id; a listener reads the ticket itself (the store is the
 * truth), so a lost or duplicated message costs nothing but a re-read, and streams also re-read
 * at every heartbeat.
 */
export interface TicketEvents {
  publish(id: string): Promise<void>;
  /** Calls `listener` for changes of ticket `id` until the returned function is called. */
  subscribe(id: string, listener: () => void): () => void;
  close(): Promise<void>;
}

/** One process: an EventEmitter. */
export class MemoryTicketEvents implements TicketEvents {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  async publish(id: string): Promise<void> {
    this.#emitter.emit(id);
  }

  subscribe(id: string, listener: () => void): () => void {
    this.#emitter.on(id, listener);
    return () => this.#emitter.off(id, listener);
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}

/**
 * Every instance: Redis pub/sub on one channel, through a connection of its own (a subscribed
 * connection can do nothing else). ioredis re-subscribes after a reconnect; messages published
 * while this instance was cut off are lost, which the streams' periodic re-read covers.
 */
export class RedisTicketEvents implements TicketEvents {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #local = new MemoryTicketEvents();

  private constructor(publisher: Redis, subscriber: Redis, channel: string) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = channel;
  }

  static async open(publisher: Redis, channel: string, onError: (err: Error) => void): Promise<RedisTicketEvents> {
    const subscriber = publisher.duplicate();
    subscriber.on('error', onError);
    const events = new RedisTicketEvents(publisher, subscriber, channel);
    subscriber.on('message', (from: string, id: string) => {
      if (from === channel) void events.#local.publish(id);
    });
    await subscriber.connect();
    await subscriber.subscribe(channel);
    return events;
  }

  async publish(id: string): Promise<void> {
    await this.#publisher.publish(this.#channel, id);
  }

  subscribe(id: string, listener: () => void): () => void {
    return this.#local.subscribe(id, listener);
  }

  async close(): Promise<void> {
    await this.#local.close();
    this.#subscriber.disconnect();
  }
}
