import assert from 'node:assert/strict';
import { connect, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { canSharePort, listenOnSharedPort } from '../../src/server/acceptors.ts';
import { gracefulShutdown, installLifecycleHooks, Lifecycle } from '../../src/server/lifecycle.ts';

const CONNECTIONS = 24;

const connections = (server: Server) =>
  new Promise<number>((resolve) => server.getConnections((_err, n) => resolve(n ?? 0)));

/** A raw HTTP/1.1 request on its own connection; resolves with what came back once the server closed it. */
function request(port: number): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1', () => socket.write('GET /slow HTTP/1.1\r\nhost: x\r\n\r\n'));
  let text = '';
  socket.on('data', (d) => {
    text += String(d);
  });
  const answer = new Promise<string>((resolve, reject) => {
    socket.once('close', () => resolve(text));
    socket.once('error', reject);
  });
  return { socket, answer };
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });

describe('graceful shutdown with every listening socket of the port', () => {
  it('stops accepting on all of them and answers the requests their connections hold', {
    timeout: 120_000,
  }, async () => {
    const app = Fastify();
    const lifecycle = new Lifecycle();
    installLifecycleHooks(app, lifecycle, () => new Error('shutting down'));
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let waiting = 0;
    app.get('/slow', async () => {
      waiting++;
      await gate;
      return { ok: true };
    });
    const extra = await listenOnSharedPort(app, { host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const listeners: Server[] = [app.server, ...extra];

    const requests = Array.from({ length: CONNECTIONS }, () => request(port));
    while (waiting < CONNECTIONS) await sleep(10);
    const held = await Promise.all(listeners.map(connections));
    assert.equal(
      held.reduce((a, b) => a + b, 0),
      CONNECTIONS,
    );
    if (canSharePort()) {
      // The kernel spread them by address hash: 24 on the first socket alone would be 8^-24.
      assert.ok(
        held.slice(1).some((n) => n > 0),
        `connections per socket: ${held.join(', ')}`,
      );
    }

    let exitCode: number | undefined;
    const shutdown = gracefulShutdown(app, lifecycle, {
      delayMs: 0,
      timeoutMs: 60_000,
      exit: (code) => {
        exitCode = code;
      },
      acceptors: () => extra,
    });
    const done = shutdown('test');
    while (listeners.some((l) => l.listening)) await sleep(10);
    // Every socket of the port stopped listening: a new connection is refused, not queued.
    assert.equal(await refused(port), true);
    assert.equal(exitCode, undefined, 'exited while requests were still held');

    release();
    const answers = await Promise.all(requests.map((r) => r.answer));
    for (const text of answers) {
      assert.match(text, /^HTTP\/1\.1 200 /);
      assert.match(text, /\r\nconnection: close\r\n/i);
      assert.match(text, /\{"ok":true\}$/);
    }
    await done;
    assert.equal(exitCode, 0);
    assert.deepEqual(
      await Promise.all(listeners.map(connections)),
      listeners.map(() => 0),
    );
  });
});
