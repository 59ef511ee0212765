import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { startEmulator } from '../../src/emulator/start.ts';
import { RedisProcess, redisServerProblem } from '../helpers/redis-process.ts';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { APPID, SECRET } from '../server/stack.ts';
import { call, serveEnv } from './http.ts';
import { untilWorkersListening } from './workers.ts';

/**
 * Issue 9, measured on the first release: SIGTERM with a keep-alive request in flight exited
 * 75.7 s later (it waited out keepAliveTimeout), /readyz never turned 503 first, and 7 of 23
 * requests on one-connection-per-request clients that started before SIGTERM were reset.
 * Here weapp-auth serve runs as a child process under both kinds of client when SIGTERM comes:
 * as one process, and as a primary with two workers (`serve --workers 2`), where the primary
 * passes the signal on and every worker drains by the same path.
 */

type Outcome = 'ok' | 'shutting_down' | 'refused' | 'reset' | 'other';

/** Long enough for the test's balancer to see readiness fail even on a loaded machine. */
const DRAIN_MS = 3000;
const emulatorReady = startEmulator({ apps: [{ appid: APPID, secret: SECRET }], logger: false });
let token = '';

after(async () => {
  await (await emulatorReady).close();
});

function classify(status: number, body: string): Outcome {
  if (status === 200) return 'ok';
  if (status === 503 && body.includes('"SHUTTING_DOWN"')) return 'shutting_down';
  return 'other';
}

/** Errors before the server took the request (nothing lost) against errors after (maybe lost). */
function classifyError(err: unknown): Outcome {
  const text = `${(err as { code?: string }).code ?? ''} ${(err as Error).message} ${String((err as Error).cause ?? '')}`;
  return /ECONNREFUSED/.test(text) ? 'refused' : 'reset';
}

/** GET /v1/me on a fresh connection that closes after the answer. */
function perConnection(url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpRequest(
      `${url}/v1/me`,
      { agent: false, headers: { authorization: `Bearer ${token}`, connection: 'close' } },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += String(d);
        });
        res.on('end', () => resolve(classify(res.statusCode ?? 0, body)));
        res.on('error', (err) => resolve(classifyError(err)));
      },
    );
    req.on('error', (err) => resolve(classifyError(err)));
    req.end();
  });
}

describe('one process', () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await started({});
  });
  after(() => serve?.stop());
  it('SIGTERM under load: readiness first, every request the server read answered, exit within the bound', (t) =>
    underLoad(t, serve));
});

describe('two workers', {
  skip: redisServerProblem !== undefined && !process.env.CI ? redisServerProblem : false,
}, () => {
  let redis: RedisProcess;
  let serve: ServeProcess;
  before(async () => {
    if (redisServerProblem) throw new Error(`${redisServerProblem} — CI is set, so this fails instead of skipping`);
    redis = await RedisProcess.start();
    serve = await started({ WORKERS: '2', REDIS_URL: redis.url });
    await untilWorkersListening(serve, 2);
  });
  after(async () => {
    await serve?.stop();
    await redis?.stop();
  });
  it('SIGTERM to the primary under load: every worker drains, every request read answered, exit 0 within the bound', (t) =>
    underLoad(t, serve));
});

/** `serve` with a drain delay and debug logs (each request read is logged), and a session's token. */
async function started(env: Record<string, string>): Promise<ServeProcess> {
  const emulator = await emulatorReady;
  const serve = await startServeProcess(
    serveEnv(emulator.url, { SHUTDOWN_DELAY_MS: String(DRAIN_MS), LOG_LEVEL: 'debug', ...env }),
  );
  const { code } = emulator.control.login(APPID, 'chaos-shutdown');
  const login = await call(serve.url, 'POST', '/v1/login', { code });
  assert.equal(login.status, 200, login.text);
  token = login.body.accessToken;
  return serve;
}

async function underLoad(t: TestContext, serve: ServeProcess): Promise<void> {
  const emulator = await emulatorReady;
  // A login in flight when the signal comes: WeChat answers it 1.5 s later.
  emulator.control.addFault({ api: 'jscode2session', latencyMs: 1500, count: 1 });
  const { code } = emulator.control.login(APPID, 'chaos-shutdown-slow');
  const slowLogin = call(serve.url, 'POST', '/v1/login', { code });

  // A load balancer stops sending new requests once readiness fails (Kubernetes removes the
  // endpoint); clients that ignore it stand for traffic that arrives anyway.
  let removed = false;
  let running = true;
  const balancer = (async () => {
    while (running && !removed) {
      const ready = await call(serve.url, 'GET', '/readyz').catch(() => undefined);
      if (ready?.status === 503) removed = true;
      else await sleep(100);
    }
  })();
  const keepAlive = new Pool(serve.url, { connections: 8, keepAliveTimeout: 30_000 });
  const outcomes: Record<string, Outcome[]> = {};
  const loop = (kind: string, send: () => Promise<Outcome>, followsReadiness: boolean) => async () => {
    const list: Outcome[] = outcomes[kind] ?? [];
    outcomes[kind] = list;
    while (running && !(followsReadiness && removed)) {
      const outcome = await send();
      list.push(outcome);
      if (outcome === 'refused') await sleep(20);
    }
  };
  const viaKeepAlive = () =>
    keepAlive.request({ path: '/v1/me', method: 'GET', headers: { authorization: `Bearer ${token}` } }).then(
      async (res) => classify(res.statusCode, await res.body.text()),
      (err: unknown) => classifyError(err),
    );
  const viaNewConnection = () => perConnection(serve.url);
  const loops = [
    ...Array.from({ length: 6 }, loop('keep-alive behind a balancer', viaKeepAlive, true)),
    ...Array.from({ length: 3 }, loop('connection per request behind a balancer', viaNewConnection, true)),
    ...Array.from({ length: 2 }, loop('keep-alive ignoring readiness', viaKeepAlive, false)),
    ...Array.from({ length: 2 }, loop('connection per request ignoring readiness', viaNewConnection, false)),
  ];
  await sleep(500);

  const signalled = Date.now();
  serve.kill('SIGTERM');
  const status = await serve.exited;
  const exitMs = Date.now() - signalled;
  running = false;
  await Promise.all([...loops, balancer]);
  await keepAlive.close();
  const slow = await slowLogin;

  const count = (list: Outcome[]) =>
    list.reduce<Record<string, number>>((acc, o) => Object.assign(acc, { [o]: (acc[o] ?? 0) + 1 }), {});
  // At debug the server logs each request it read ("incoming request"); at any level each answer
  // ("request completed", its one line per request).
  const lines = serve.output().stdout.split('\n');
  const read = lines.filter((l) => l.includes('"incoming request"')).length;
  const answered = lines.filter((l) => l.includes('"request completed"')).length;
  t.diagnostic(
    `SIGTERM under load: exit ${status} after ${exitMs} ms; read ${read} requests, answered ${answered}; ` +
      Object.entries(outcomes)
        .map(([kind, list]) => `${kind} ${JSON.stringify(count(list))}`)
        .join('; '),
  );
  assert.equal(status, 0, serve.output().stderr);
  // The bound is SHUTDOWN_TIMEOUT_MS (10 s by default), kept by a timer; far below the 75 s measured.
  assert.ok(exitMs < 15_000, `exited after ${exitMs} ms`);
  assert.ok(removed, 'readiness turned 503 before the instance stopped listening');
  assert.equal(slow.status, 200, `the login in flight was answered: ${slow.text}`);
  assert.equal(answered, read, 'every request the server read was answered');
  for (const [kind, list] of Object.entries(outcomes)) {
    assert.ok(list.includes('ok'), `${kind}: served`);
    assert.equal(count(list).other ?? 0, 0, `${kind}: unexpected answers`);
  }
  for (const kind of ['keep-alive behind a balancer', 'connection per request behind a balancer']) {
    const list = outcomes[kind] ?? [];
    assert.deepEqual(Object.keys(count(list)), ['ok'], `${kind}: every request answered`);
  }
}
