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
 * Where the server's log goes: stdout (or `fd`), written asynchronously — lines that arrive while a
 * write is in flight go out together in the next one — and kept as bytes until then. In its
 * default (utf8) mode sonic-boom appends each line to one pending string and takes that string's
 * byte length again for every line, which flattens it: under load, with dozens of lines waiting
 * for a write, that was ~3 KB of garbage and a scan per request line. In buffer mode each line is
 * encoded once and the waiting lines are joined once per write. pino flushes it on exit as before.
 */
export function logDestination(fd = 1): pino.DestinationStream {
  const stream = pino.destination({ dest: fd, sync: false, contentMode: 'buffer' });
  // Buffer mode takes bytes; pino hands over each line as a string.
  const writeBytes = (stream.write as unknown as (bytes: Buffer) => boolean).bind(stream);
  stream.write = (line: string) => writeBytes(Buffer.from(line));
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
