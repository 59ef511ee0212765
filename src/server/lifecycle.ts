import { Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/**
 * Where an instance is in its life. Draining and refusing are separate because a load balancer
 * learns of a shutdown late: readiness fails first, while the instance keeps serving everyone the
 * balancer still sends (Kubernetes removes the endpoint only after a failed probe or two); only
 * then does it stop taking connections.
 */
export class Lifecycle {
  /** Readiness answers 503 and every answer carries `Connection: close`, so clients reconnect elsewhere. */
  draining = false;
  /** No longer listening; a request on a connection still open is answered 503 SHUTTING_DOWN. */
  refusing = false;
}

export interface ShutdownOptions {
  /** How long to keep serving after readiness turned 503 (SHUTDOWN_DELAY_MS). */
  delayMs: number;
  /** The process exits within this of the signal, whatever is still open (SHUTDOWN_TIMEOUT_MS). */
  timeoutMs: number;
  /** Ends the process; tests replace it. */
  exit?: (code: number) => void;
  /** Extra sockets listening on the port (./acceptors.ts): closed with the server, their connections waited for. */
  acceptors?: () => readonly Server[];
}

/**
 * The one shutdown path, for signals and for fatal bugs: drain (readiness 503, every answer says
 * `Connection: close`), stop listening, let open connections finish their requests, close the
 * silent ones, close the database and Redis (the app's onClose hooks), exit. A timer bounds the whole: past it, every
 * connection is cut and the process exits 1. Calling it again while it runs does nothing.
 */
export function gracefulShutdown(app: FastifyInstance, lifecycle: Lifecycle, options: ShutdownOptions) {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started = false;
  return async function shutdown(reason: string, exitCode = 0): Promise<void> {
    if (started) return;
    started = true;
    const startedAt = Date.now();
    app.log.info({ reason, delayMs: options.delayMs, timeoutMs: options.timeoutMs }, 'shutting down: draining');
    const deadline = setTimeout(() => {
      app.log.error({ reason, timeoutMs: options.timeoutMs }, 'shutdown timed out: cutting open connections');
      app.server.closeAllConnections();
      exit(1);
    }, options.timeoutMs);
    deadline.unref();
    lifecycle.draining = true;
    if (options.delayMs > 0) await sleep(options.delayMs);
    // Stop taking connections, but keep the open ones: a connection accepted a moment ago may
    // hold a request not read yet, which Node's server.close() would cut as "idle". Each open
    // connection closes after its next answer (Connection: close); the silent ones go after a linger.
    const listeners = [app.server, ...(options.acceptors?.() ?? [])];
    for (const listener of listeners) Server.prototype.close.call(listener);
    await connectionsClosed(listeners, IDLE_LINGER_MS);
    // The HTTP server holds every connection, those the extra sockets accepted too.
    app.server.closeIdleConnections();
    await connectionsClosed(listeners, Number.POSITIVE_INFINITY);
    lifecycle.refusing = true;
    try {
      await app.close();
      app.log.info({ reason, ms: Date.now() - startedAt }, 'shut down');
    } catch (err) {
      app.log.error({ err }, 'error while shutting down');
      exitCode = 1;
    }
    clearTimeout(deadline);
    exit(exitCode);
  };
}

/** How long a keep-alive connection that stays silent is left open after the listener closed. */
const IDLE_LINGER_MS = 1000;

/** Resolves once no listener holds a connection, or after `waitMs`; requests in flight end their own. */
async function connectionsClosed(listeners: readonly Server[], waitMs: number): Promise<void> {
  const count = (server: Server) =>
    new Promise<number>((resolve) => server.getConnections((_err, n) => resolve(n ?? 0)));
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    const open = (await Promise.all(listeners.map(count))).reduce((a, b) => a + b, 0);
    if (open === 0) return;
    await sleep(25);
  }
}

/**
 * Hooks that make the Lifecycle visible on the wire. Callback style: every request runs both, and
 * an async hook costs a promise and a microtask turn each time for what is nearly always nothing.
 */
export function installLifecycleHooks(app: FastifyInstance, lifecycle: Lifecycle, onRefused: () => Error): void {
  app.addHook('onRequest', (_request, reply, done) => {
    if (!lifecycle.refusing) return done();
    reply.header('connection', 'close');
    done(onRefused());
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    // Node then closes the socket after this answer: a keep-alive client opens its next
    // connection while this instance still accepts them, instead of racing our close.
    if (lifecycle.draining) reply.header('connection', 'close');
    done(null, payload);
  });
}

/**
 * What the process does with errors nobody handled. Every dependency has its own error handling,
 * so what arrives here is a bug: a rejected promise is logged with its stack and the process goes
 * on; an uncaught exception may have left state half-changed, so it is logged and the instance
 * shuts down gracefully (the orchestrator starts a fresh one).
 */
export function installProcessPolicy(
  log: FastifyBaseLogger,
  shutdown: (reason: string, exitCode: number) => Promise<void>,
): void {
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection (a bug): logged, process continues');
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception (a bug): shutting down');
    void shutdown('uncaughtException', 1);
  });
}
