import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { ApiError, type ErrorBody } from './errors.ts';

/** How long a socket we answered may stay half-open, waiting for the client to close its side. */
const LINGER_MS = 5_000;

/** What Node's HTTP parser refused, as the error we answer (Node's own choice of status, our shape). */
export function malformedRequestError(code: string | undefined): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('HEADERS_TOO_LARGE');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ApiError('BODY_TOO_LARGE', 'The chunk extensions of the body are larger than this server accepts.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('REQUEST_TIMEOUT');
    default:
      return new ApiError('INVALID_REQUEST', 'The request is not valid HTTP/1.1; the connection is closed.');
  }
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes (garbage, oversized headers,
 * a bad chunk) before any route or hook saw a request. The answer has our `{code, message}` shape
 * and `Connection: close`, since the parser cannot find the next request on this socket. The
 * socket is ended, not destroyed: destroying it with the client's bytes still unread makes the
 * kernel send a reset, and the client loses the answer it was about to read.
 */
export function answerMalformedRequest(this: FastifyInstance, err: ConnectionError, socket: Socket): void {
  // A reset connection has nobody to answer; an ended one was answered at the first error already.
  if (err.code === 'ECONNRESET' || socket.destroyed || socket.writableEnded) return;
  // The client's mistake, not ours: at debug, so a scanner cannot flood the logs.
  this.log.debug({ code: err.code }, 'malformed HTTP request');
  const answer = malformedRequestError(err.code);
  const body = JSON.stringify({ code: answer.code, message: answer.message } satisfies ErrorBody);
  const respond = () => {
    if (socket.destroyed || socket.writableEnded) return;
    socket.end(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        // The request's headers were never parsed, so its Accept-Language is unknown: English.
        'Content-Language: en\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    // A client that never closes its side must not hold the socket for ever.
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  };
  // A well-formed request before the bad one (pipelining) gets its own answer first; our answer
  // must never land inside it. When the bad bytes are that request's own body, nothing will
  // finish it: answer at once.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished && (inFlight.headersSent || inFlight.req.complete)) {
    inFlight.once('finish', respond);
  } else {
    respond();
  }
}
