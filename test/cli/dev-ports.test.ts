import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEV_PORTS } from '../../src/cli/dev-defaults.ts';
import { freePort } from '../../src/cli/free-port.ts';
import { bin, startDevProcess } from '../helpers/dev-process.ts';

/**
 * Holds `port` on loopback, as another program would; undefined when another program already does.
 * It hangs up on whoever connects: a connection left open (another test file's client that
 * happened upon the port while it was held) would keep `close()` in the after hook from ever
 * finishing, as it did twice in CI.
 */
async function occupy(port: number): Promise<Server | undefined> {
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err),
    );
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (url = '') => Number(new URL(url).port);

/** `dev`'s environment with neither port set: what a fresh clone's `npm start` sees. */
const NO_PORTS = { PORT: undefined, EMULATOR_PORT: undefined, HOST: undefined };

/** Issue 14, first run 1: `npm start` died with EADDRINUSE when something else held :9300. */
describe('weapp-auth dev where ports 3000 and 9300 are taken', () => {
  const held: Server[] = [];

  before(async () => {
    for (const port of [DEV_PORTS.server, DEV_PORTS.emulator]) {
      const server = await occupy(port);
      if (server) held.push(server);
    }
  });

  after(async () => {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('comes up on free ports and says which; its record in ./data goes when it stops', async () => {
    const dev = await startDevProcess(['server', 'emulator'], { args: [], env: NO_PORTS });
    try {
      const server = portOf(dev.urls.server);
      const emulator = portOf(dev.urls.emulator);
      assert.notEqual(server, DEV_PORTS.server);
      assert.notEqual(emulator, DEV_PORTS.emulator);
      const output = dev.output();
      assert.match(
        output,
        new RegExp(`port 3000 is taken, so the server listens on ${server} \\(choose with --port or PORT\\)`),
      );
      assert.match(
        output,
        new RegExp(
          `port 9300 is taken, so the emulator listens on ${emulator} \\(choose with --emulator-port or EMULATOR_PORT\\)`,
        ),
      );
      assert.equal((await fetch(`${dev.urls.server}/healthz`)).status, 200);
      // What `weapp-auth demo` reads to find this stack.
      const record = JSON.parse(readFileSync(join(dev.dir, 'data', 'dev.json'), 'utf8'));
      assert.deepEqual(record, {
        server: dev.urls.server,
        emulator: dev.urls.emulator,
        playground: `${dev.urls.server}/playground/`,
        pid: dev.pid,
      });
      process.kill(dev.pid, 'SIGTERM');
      assert.equal(await dev.exited, 0);
      assert.equal(existsSync(join(dev.dir, 'data', 'dev.json')), false, 'data/dev.json outlived dev');
    } finally {
      await dev.stop();
    }
  });

  it('listens where PORT / --port and EMULATOR_PORT / --emulator-port say', async () => {
    const [server, emulator] = [await freePort(), await freePort()];
    const byEnv = await startDevProcess(['server', 'emulator'], {
      args: [],
      env: { ...NO_PORTS, PORT: String(server), EMULATOR_PORT: String(emulator) },
    });
    try {
      assert.equal(portOf(byEnv.urls.server), server);
      assert.equal(portOf(byEnv.urls.emulator), emulator);
      assert.doesNotMatch(byEnv.output(), /is taken/);
    } finally {
      await byEnv.stop();
    }
    const [server2, emulator2] = [await freePort(), await freePort()];
    const byFlags = await startDevProcess(['server', 'emulator'], {
      args: ['--port', String(server2), '--emulator-port', String(emulator2)],
      // Flags win over the environment.
      env: { ...NO_PORTS, PORT: String(server), EMULATOR_PORT: String(emulator) },
    });
    try {
      assert.equal(portOf(byFlags.urls.server), server2);
      assert.equal(portOf(byFlags.urls.emulator), emulator2);
    } finally {
      await byFlags.stop();
    }
  });

  for (const [name, env, args, expected] of [
    [
      'an emulator port asked for and taken',
      { EMULATOR_PORT: String(DEV_PORTS.emulator) },
      [],
      /^Cannot listen on 127\.0\.0\.1:9300 for the emulator: the port is taken\. Stop the other process or choose another with --emulator-port or EMULATOR_PORT \(0: any free port\)\.\n$/,
    ],
    [
      'a server port asked for and taken',
      {},
      ['--port', String(DEV_PORTS.server), '--emulator-port', '0'],
      /^Cannot listen on 127\.0\.0\.1:3000: the port is taken\. Stop the other process or set PORT\.\n$/,
    ],
    [
      'a port that is not a number',
      { PORT: 'http' },
      [],
      /^--port or PORT must be a port number from 0 to 65535 \(got "http"\)\n$/,
    ],
  ] as const) {
    it(`${name}: one line, exit 2`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-dev-'));
      try {
        const child = spawn(process.execPath, [bin, 'dev', ...args], {
          cwd: dir,
          env: Object.fromEntries(
            Object.entries({ ...process.env, ...NO_PORTS, LOG_LEVEL: 'warn', ...env }).filter(
              ([, v]) => v !== undefined,
            ),
          ),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += String(d);
        });
        child.stderr.on('data', (d) => {
          stderr += String(d);
        });
        const code = await new Promise((resolve) => child.once('exit', resolve));
        assert.equal(code, 2, stdout + stderr);
        assert.match(stderr, expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
