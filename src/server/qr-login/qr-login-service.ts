import type { Redis } from 'ioredis';
import type { Cache } from '../../cache/index.ts';
import { MemoryTicketEvents, RedisTicketEvents, type TicketEvents } from './ticket-events.ts';
import { TicketStore } from './ticket-store.ts';

/** Scan-to-login's shared parts: where tickets live, how their changes travel, the open streams. */
export interface QrLoginService {
  tickets: TicketStore;
  events: TicketEvents;
  /** The open event streams' end functions: the server ends them all when it closes. */
  streams: Set<() => void>;
  heartbeatMs: number;
  close(): Promise<void>;
}

/**
 * Tickets in `cache` (Redis when configured, else this process); events over Redis pub/sub on
 * `redis`'s server when given, else in this process.
 */
export async function openQrLogin(options: {
  cache: Cache;
  redis: { client: Redis; prefix: string } | undefined;
  onRedisError: (err: Error) => void;
  heartbeatMs?: number;
}): Promise<QrLoginService> {
  const events = options.redis
    ? await RedisTicketEvents.open(options.redis.client, `${options.redis.prefix}qr-login:events`, options.onRedisError)
    : new MemoryTicketEvents();
  const streams = new Set<() => void>();
  return {
    tickets: new TicketStore(options.cache),
    events,
    streams,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    async close() {
      for (const end of [...streams]) end();
      await events.close();
    },
  };
}
