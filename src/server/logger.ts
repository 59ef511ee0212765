import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { LoggerOptions } from 'pino';

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
 */
export class OneLineRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
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
