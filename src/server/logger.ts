import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import pino, { type LoggerOptions } from 'pino';

/**
 * Log options for the server. Query strings are never logged (the classic /wx/login takes the code
 * and encryptedData there); credentials are redacted wherever they might appear.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.sessionKey',
        '*.session_key',
        '*.secret',
        '*.refreshToken',
        '*.accessToken',
        '*.access_token',
        '*.phoneNumber',
        // The wx.login and getPhoneNumber codes are one-time credentials, wherever a body or query
        // is logged. Not '*.code': that blanked err.code, the diagnostic (ECONNRESET, FST_ERR_*).
        'body.code',
        'query.code',
        '*.body.code',
        '*.query.code',
        'body.phoneCode',
        '*.body.phoneCode',
        'phoneCode',
        '*.phoneCode',
        'js_code',
        '*.js_code',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; ip: string }) {
        return {
          method: request.method,
          url: pathOnly(request.url),
          remoteAddress: request.ip,
        };
      },
    },
  };
}

type Stringifier = (value: unknown, stringifySafe?: unknown) => string;

/**
 * pino's redaction without its cost on values it cannot apply to. pino hands every top-level value
 * of a line (and of a child's bindings) without a path of its own to the redactor of the `*.…`
 * paths — strings and numbers too, where no such path can match, and @pinojs/redact parses each of
 * its paths again on every call: a request line's reqId, method, url, status, ms and ip cost about
 * 10 µs, a tenth of a GET /v1/me. Here a value that is not an object is serialized as that
 * redactor would serialize it (pino's own stringify) without the search; objects still go through
 * it, and top-level paths (`phoneCode`, `js_code`) keep their own censor. What is censored does not
 * change. A logger that is not pino, or not built as expected, is left as it is. Returns `log`.
 */
export function skipRedactingPrimitives<T>(log: T): T {
  const { stringifiersSym, wildcardFirstSym, stringifySym, stringifySafeSym } = pino.symbols;
  const logger = log as Record<symbol, unknown>;
  const stringifiers = logger[stringifiersSym] as Record<symbol, unknown> | undefined;
  const redactObjects = stringifiers?.[wildcardFirstSym] as (Stringifier & { [SKIPS]?: true }) | undefined;
  const stringify = logger[stringifySym] as Stringifier | undefined;
  const stringifySafe = logger[stringifySafeSym];
  if (!stringifiers || typeof redactObjects !== 'function' || redactObjects[SKIPS]) return log;
  if (typeof stringify !== 'function' || typeof stringifySafe !== 'function') return log;
  const skipping = (value: unknown) =>
    typeof value === 'object' && value !== null ? redactObjects(value) : stringify(value, stringifySafe);
  stringifiers[wildcardFirstSym] = Object.assign(skipping, { [SKIPS]: true as const });
  return log;
}

const SKIPS = Symbol('skips primitives');

/**
 * Where the server's log goes: stdout (or `fd`), written asynchronously by sonic-boom. The lines
 * of one event-loop turn are joined and handed over once, when the turn ends (an immediate):
 * sonic-boom then measures and appends one string per turn instead of one per line (in its utf8
 * mode it takes the byte length of everything pending for every line, flattening it — ~3 KB of
 * garbage a request line under load). The lines stay strings in V8's heap. Buffer mode, used
 * before, encoded each line into an 8 KB pooled slab outside the heap; a slab held by one line
 * still queued when the young generation was collected was promoted with it and freed only by a
 * full collection: 17-29 MB of such slabs at 1,000 connections on GET /v1/me, the peak 166-187 MB
 * against 139-143 this way, for the same CPU a request (BENCHMARKS.md, issue 11 step 9). What is
 * pending is handed over before a flush and on end, and pino flushes on exit as before.
 */
export function logDestination(fd = 1): pino.DestinationStream {
  const stream = pino.destination({ dest: fd, sync: false });
  const write = stream.write.bind(stream);
  let turn: string[] = [];
  const handOver = () => {
    if (turn.length === 0) return;
    const lines = turn;
    turn = [];
    try {
      write(lines.length === 1 ? (lines[0] as string) : lines.join(''));
    } catch {
      // The stream was closed (end()) before the turn ended: nothing can write these lines, and
      // an immediate that throws would end the process. Before, the logging call itself threw.
    }
  };
  // Handed over for a synchronous flush, the turn must not start an asynchronous write: flushSync
  // writes what is queued, not what is in flight, and at exit a write left to the thread pool is
  // lost (1,019 of 5,000 lines on Node 24). Below minLength, sonic-boom only queues.
  // (sonic-boom reads its minLength option from the instance on every write; its types omit it.)
  const options = stream as unknown as { minLength: number };
  const handOverQueued = () => {
    const { minLength } = options;
    options.minLength = Number.POSITIVE_INFINITY;
    try {
      handOver();
    } finally {
      options.minLength = minLength;
    }
  };
  stream.write = (line: string) => {
    if (turn.length === 0) setImmediate(handOver);
    turn.push(line);
    return true;
  };
  const { flush, flushSync, end } = stream;
  stream.flush = (cb?: (err?: Error) => unknown) => {
    handOver();
    flush.call(stream, cb);
  };
  stream.flushSync = () => {
    handOverQueued();
    flushSync.call(stream);
  };
  stream.end = () => {
    handOver();
    end.call(stream);
  };
  return stream;
}

export function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}

/**
 * One line per request at the default level, instead of Fastify's two ("incoming request" at info
 * and "request completed"): each line is a JSON serialization, and two per request were a tenth of
 * an authenticated request's CPU. The received line stays, at debug, for whoever counts what the
 * server read against what it answered (test/chaos/shutdown.test.ts). The completed line carries
 * what an operator looks for — method, path (never the query: /wx/login carries the code there),
 * status, milliseconds, client address — and reqId from the request's logger. Errors still log in
 * full through the error handler (error-handler.ts), with the redaction of {@link loggerOptions}.
 *
 * `counted` runs here too, once per answered request whatever the log level: Fastify calls
 * requestCompleted after every answer (once its onResponse hooks, if any, ran), so counting here
 * costs no onResponse hook, whose runner (a promise for an async one) every request would pay.
 */
export class OneLineRequestLog extends LogController {
  readonly #counted: ((request: FastifyRequest, reply: FastifyReply) => void) | undefined;

  constructor(options: { counted?: (request: FastifyRequest, reply: FastifyReply) => void } = {}) {
    super();
    this.#counted = options.counted;
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    this.#counted?.(request, reply);
    const line = {
      method: request.method,
      url: pathOnly(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
