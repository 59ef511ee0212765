import type { FastifyReply, FastifyRequest } from 'fastify';
import { toApiError } from '../error-handler.ts';
import { ApiError } from '../errors.ts';
import type { TicketState } from './schemas.ts';
import { isFinal } from './ticket.ts';
import type { TicketEvents } from './ticket-events.ts';

export interface EventStreamOptions {
  events: TicketEvents;
  /** The ticket's current state for this browser (claims the tokens when it finds them confirmed). */
  read: () => Promise<TicketState>;
  /** A comment line this often keeps proxies from closing an idle stream; the ticket is re-read too. */
  heartbeatMs: number;
  /** Ends every open stream when the server closes. */
  streams: Set<() => void>;
}

/**
 * Server-Sent Events for one ticket (README "Scan to log in on a website"): each state once, as
 * `event: <status>` with the polling answer as data; a `: ping` comment every heartbeat; the
 * stream ends after a final state. The caller answered any error before the stream began
 * (unknown ticket, wrong secret) as ordinary JSON; a failure after it is `event: error`.
 */
export async function streamTicket(
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  options: EventStreamOptions,
): Promise<void> {
  const first = await options.read();
  reply.hijack();
  const raw = reply.raw;
  // Headers set by hooks (CORS, request id) go out with the stream's own.
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // nginx would otherwise buffer the stream and deliver the events late.
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 2000\n\n');

  let last: string | undefined;
  let ended = false;
  let reading = Promise.resolve();
  const timers: NodeJS.Timeout[] = [];
  const send = (state: TicketState) => {
    // The same state twice is sent once; confirmed with its tokens is always new.
    const key = `${state.status}:${state.scannedAt}:${state.tokens ? 't' : ''}`;
    if (key !== last) raw.write(`event: ${state.status}\ndata: ${JSON.stringify(state)}\n\n`);
    last = key;
    if (isFinal(state.status)) end();
  };
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
    options.streams.delete(end);
    raw.end();
  };
  // Reads one after another, so two events for one change cannot claim and send out of order.
  const refresh = () => {
    reading = reading.then(async () => {
      if (ended) return;
      try {
        send(await options.read());
      } catch (err) {
        const error = toApiError(err) ?? new ApiError('INTERNAL');
        if (error.code === 'INTERNAL') request.log.error({ err }, 'qr-login stream failed');
        request.log.warn({ code: error.code }, 'qr-login stream ended by an error');
        raw.write(`event: error\ndata: ${JSON.stringify({ code: error.code, message: error.message })}\n\n`);
        end();
      }
    });
  };
  const unsubscribe = options.events.subscribe(id, refresh);
  options.streams.add(end);
  raw.on('close', end);
  send(first);
  if (ended) return;
  const heartbeat = () => {
    if (ended) return;
    raw.write(': ping\n\n');
    refresh();
    timers[0] = setTimeout(heartbeat, options.heartbeatMs);
  };
  timers[0] = setTimeout(heartbeat, options.heartbeatMs);
  // The expiry is nobody's transition: the stream looks again once it is due.
  if (first.expiresIn > 0) timers[1] = setTimeout(refresh, first.expiresIn * 1000 + 250);
}
