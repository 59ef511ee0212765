import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { canSharePort, LISTENING_SOCKETS, listenOnSharedPort } from '../../src/server/acceptors.ts';

const CONNECTIONS = 64;

/**
 * A client in a process of its own (the server's busy loop must not slow it): opens CONNECTIONS
 * connections at once, sends one request on each and exits once every answer came.
 */
function client(port: number) {
  const source = `
    const net = require('node:net');
    let left = ${CONNECTIONS};
    for (let i = 0; i < ${CONNECTIONS}; i++) {
      const socket = net.connect(${port}, '127.0.0.1', () => socket.write('GET / HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n'));
      socket.once('data', () => { socket.destroy(); if (--left === 0) process.exit(0); });
    }`;
  return spawn(process.execPath, ['-e', source], { stdio: 'inherit' });
}

/**
 * How many turns of a busy event loop (each spends 20 ms of CPU, as a loaded server does) pass
 * before CONNECTIONS connections arriving at once are all accepted and answered. Counts turns,
 * not time, so a slow machine changes nothing.
 */
async function turnsToServe(share: boolean) {
  const app = Fastify();
  app.get('/', async () => 'ok');
  let extra: Awaited<ReturnType<typeof listenOnSharedPort>> = [];
  if (share) extra = await listenOnSharedPort(app, { host: '127.0.0.1', port: 0 });
  else await app.listen({ host: '127.0.0.1', port: 0 });
  let turns = 0;
  const busy = setInterval(() => {
    turns++;
    const until = performance.now() + 20;
    while (performance.now() < until);
  }, 0);
  try {
    const child = client((app.server.address() as AddressInfo).port);
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    return { turns, extra: extra.length };
  } finally {
    clearInterval(busy);
    for (const acceptor of extra) acceptor.close();
    await app.close();
  }
}

describe('listening sockets sharing the port', () => {
  it('knows where Node and the kernel share a port between sockets', () => {
    assert.equal(canSharePort('20.20.2', 'linux'), false);
    assert.equal(canSharePort('22.11.0', 'linux'), false);
    assert.equal(canSharePort('22.12.0', 'linux'), true);
    assert.equal(canSharePort('23.1.0', 'freebsd'), true);
    assert.equal(canSharePort('24.0.0', 'darwin'), false);
    assert.equal(canSharePort('24.0.0', 'win32'), false);
  });

  it('one listening socket accepts one connection per turn of the event loop (libuv 1.45+)', async (t) => {
    const { turns } = await turnsToServe(false);
    t.diagnostic(`one socket: ${turns} turns for ${CONNECTIONS} connections`);
    assert.ok(turns >= CONNECTIONS - 2, `${turns} turns for ${CONNECTIONS} connections`);
  });

  it(`${LISTENING_SOCKETS} sockets accept a burst of connections in a fraction of the turns, where the platform allows`, async (t) => {
    const { turns, extra } = await turnsToServe(true);
    t.diagnostic(`${extra + 1} sockets: ${turns} turns for ${CONNECTIONS} connections`);
    if (!canSharePort()) {
      // Node 20: one socket, served as before.
      assert.equal(extra, 0);
      return;
    }
    assert.equal(extra, LISTENING_SOCKETS - 1);
    // The kernel spreads connections by address hash: about CONNECTIONS / 8 per socket, unevenly.
    assert.ok(turns <= CONNECTIONS / 2, `${turns} turns for ${CONNECTIONS} connections`);
  });
});
