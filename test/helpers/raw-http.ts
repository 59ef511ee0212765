import { connect } from 'node:net';

/** One answer as it came off the wire. */
export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  /** Every answer the server wrote, in order (pipelined requests get one each). */
  answers: RawAnswer[];
  /** How the connection ended: the server's FIN (`end`), a reset, our own timeout or hang-up. */
  ending: 'end' | 'reset' | 'timeout' | 'hung-up';
  /** Bytes that did not parse as an answer. */
  rest: string;
}

/**
 * Writes `chunks` to the server as they are (no HTTP client between us and the parser, so
 * garbage stays garbage), then reads until the server closes. `halfClose` ends our side after
 * writing, as a client does that has nothing more to send; `destroyAfterMs` hangs up instead.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  options: { halfClose?: boolean; destroyAfterMs?: number; timeoutMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let settled = false;
    const finish = (ending: RawExchange['ending']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ending, ...parseAnswers(Buffer.concat(received).toString('latin1')) });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 10_000);
    socket.on('data', (d) => received.push(d));
    socket.on('end', () => finish('end'));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNRESET' ? 'reset' : 'timeout'));
    socket.on('close', () => finish('end'));
    socket.on('connect', () => {
      for (const chunk of chunks) {
        // A server that answered early may close while we still write: that is what we observe.
        socket.write(chunk, () => undefined);
      }
      if (options.halfClose) socket.end();
      if (options.destroyAfterMs !== undefined) setTimeout(() => finish('hung-up'), options.destroyAfterMs);
    });
  });
}

/** HTTP/1.1 answers with Content-Length bodies (all this server writes to a raw client). */
export function parseAnswers(text: string): { answers: RawAnswer[]; rest: string } {
  const answers: RawAnswer[] = [];
  let rest = text;
  for (;;) {
    const head = /^HTTP\/1\.1 (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/.exec(rest);
    if (!head) break;
    const headers: Record<string, string> = {};
    for (const line of (head[2] ?? '').split('\r\n').filter(Boolean)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const start = head[0].length;
    // Bytes were read as latin1 (one char a byte), so lengths match; bodies are turned back to UTF-8.
    const body = Buffer.from(rest.slice(start, start + length), 'latin1').toString('utf8');
    answers.push({ status: Number(head[1]), headers, body });
    rest = rest.slice(start + length);
  }
  return { answers, rest };
}
