import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEMI_SPACE_MB } from '../../src/cli/heap-policy.ts';
import { startEmulator } from '../../src/emulator/start.ts';
import { RedisProcess, redisServerProblem } from '../helpers/redis-process.ts';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { APPID, SECRET } from '../server/stack.ts';
import { type Answer, call, serveEnv } from './http.ts';
import { answeredBy, untilWorkersListening, workerEvents } from './workers.ts';

const inCI = Boolean(process.env.CI);

/** A process's command line and NODE_OPTIONS, as the kernel has them. */
const started = (pid: number) => ({
  argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'),
  nodeOptions: /(?:^|\0)NODE_OPTIONS=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'))?.[1],
});
const withoutRedisServer = { skip: redisServerProblem !== undefined && !inCI ? redisServerProblem : false };

/**
 * For the calling describe: the emulator, a redis-server of its own and `serve` with two workers
 * (plus `env`), started before its tests (resolving once both workers listen) and stopped after.
 */
function twoWorkers(env: Record<string, string>) {
  const emulator = startEmulator({ apps: [{ appid: APPID, secret: SECRET }], logger: false });
  let redis: RedisProcess | undefined;
  let serve: ServeProcess | undefined;
  const stack = {
    emulator,
    workers: [] as number[],
    serve: (): ServeProcess => serve ?? assert.fail('serve did not start'),
    redis: (): RedisProcess => redis ?? assert.fail('redis-server did not start'),
  };
  before(async () => {
    if (redisServerProblem) throw new Error(`${redisServerProblem} — CI is set, so this fails instead of skipping`);
    redis = await RedisProcess.start();
    serve = await startServeProcess(serveEnv((await emulator).url, { REDIS_URL: redis.url, WORKERS: '2', ...env }));
    stack.workers = await untilWorkersListening(serve, 2);
  });
  after(async () => {
    await serve?.stop();
    await redis?.stop();
    await (await emulator).close();
  });
  return stack;
}

/**
 * `weapp-auth serve --workers 2` (here WORKERS=2) as real processes: a primary and two workers
 * sharing one port, one redis-server of the test's own, SQLite in WAL mode shared by the workers.
 * Each request goes over a fresh connection, which node:cluster hands to the workers in turn; the
 * workers' request log lines (with their pid) say which one answered.
 */
describe('serve --workers', withoutRedisServer, () => {
  const stack = twoWorkers({});
  const emulator = stack.emulator;
  let workers: number[] = [];
  let user = 0;
  let serve: ServeProcess;

  const login = async (): Promise<Answer> => {
    const { code } = (await emulator).control.login(APPID, `workers-${++user}`);
    return call(serve.url, 'POST', '/v1/login', { code });
  };
  /** `n` requests at once, each on its own connection. */
  const burst = (n: number, send: () => Promise<Answer>) => Promise.all(Array.from({ length: n }, send));
  /** Which workers answered requests to `path` (with `status`) since output offset `from`. */
  const pidsSince = (from: number, path: string, status: number) =>
    new Set(
      answeredBy(serve.output().stdout.slice(from))
        .filter((r) => r.url === path && r.status === status)
        .map((r) => r.pid),
    );

  before(() => {
    serve = stack.serve();
    workers = stack.workers;
  });

  it('two workers answer, each from its own process; /metrics counts both', async () => {
    assert.equal(new Set([...workers, serve.pid]).size, 3, 'two workers besides the primary');
    const from = serve.output().stdout.length;
    const logins = await burst(10, login);
    assert.deepEqual(
      logins.map((a) => a.status),
      Array(10).fill(200),
    );
    // Log lines are written asynchronously; wait for them rather than for a time.
    for (let i = 0; pidsSince(from, '/v1/login', 200).size < 2 && i < 600; i++) await sleep(50);
    assert.deepEqual([...pidsSince(from, '/v1/login', 200)].sort(), [...workers].sort());

    const metrics = await call(serve.url, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /weapp_auth_cluster_workers\{state="answered"\} 2\n/);
    const logged = Number(/weapp_auth_logins_total\{outcome="new_user"\} (\d+)/.exec(metrics.text)?.[1]);
    assert.ok(logged >= 10, `logins summed over both workers: ${logged}`);
  });

  it('a logout answered by one worker is refused by every worker at once', async () => {
    const session = await login();
    const token = session.body.accessToken as string;
    const from = serve.output().stdout.length;
    // Both workers have verified the token (and may keep whatever they cache about it).
    const warm = await burst(8, () => call(serve.url, 'GET', '/v1/me', undefined, token));
    assert.ok(warm.every((a) => a.status === 200));
    assert.equal((await call(serve.url, 'POST', '/v1/logout', {}, token)).status, 200);
    const afterLogout = await burst(8, () => call(serve.url, 'GET', '/v1/me', undefined, token));
    assert.deepEqual(
      afterLogout.map((a) => `${a.status} ${a.body.code}`),
      Array(8).fill('401 SESSION_REVOKED'),
    );
    for (let i = 0; pidsSince(from, '/v1/me', 401).size < 2 && i < 600; i++) await sleep(50);
    assert.deepEqual([...pidsSince(from, '/v1/me', 200)].sort(), [...workers].sort(), 'both served it before');
    assert.deepEqual([...pidsSince(from, '/v1/me', 401)].sort(), [...workers].sort(), 'both refuse it after');
  });

  it('the WeChat access token is fetched once for both workers', async () => {
    const phone = await emulator;
    const before = phone.control.calls(APPID).counts[APPID]?.stable_token ?? 0;
    assert.equal(before, 0, 'no phone number asked for yet');
    const from = serve.output().stdout.length;
    const answers = await burst(10, async () => {
      const name = `workers-phone-${++user}`;
      const { code } = phone.control.login(APPID, name);
      const phoneCode = phone.control.getPhoneNumber(APPID, name) as { code?: string };
      return call(serve.url, 'POST', '/v1/login', { code, phoneCode: phoneCode.code });
    });
    assert.ok(
      answers.every((a) => a.status === 200 && typeof a.body.user?.phoneNumber === 'string'),
      answers[0]?.text,
    );
    for (let i = 0; pidsSince(from, '/v1/login', 200).size < 2 && i < 600; i++) await sleep(50);
    assert.equal(pidsSince(from, '/v1/login', 200).size, 2, 'both workers redeemed phone codes');
    assert.equal(phone.control.calls(APPID).counts[APPID]?.stable_token, 1);
  });

  it('starts each worker with a young generation of SEMI_SPACE_MB (V8 sizes it only at start)', () => {
    for (const pid of workers) {
      assert.ok(started(pid).argv.includes(`--max-semi-space-size=${SEMI_SPACE_MB}`), started(pid).argv.join(' '));
    }
    // Where the runtime has process.execve, the primary started again with the flag before it
    // loaded anything (src/cli/heap-policy.ts) and its workers inherit it; elsewhere only the
    // workers are given it.
    const primary = started(serve.pid).argv.some((arg) => arg.startsWith('--max-semi-space-size'));
    assert.equal(primary, typeof (process as { execve?: unknown }).execve === 'function');
  });

  it('a killed worker is replaced, and the new one answers', async () => {
    const [victim, survivor] = workers as [number, number];
    process.kill(victim, 'SIGKILL');
    const next = await untilWorkersListening(serve, 3);
    const replacement = next.find((pid) => !workers.includes(pid)) ?? 0;
    assert.ok(replacement > 0);
    const exited = workerEvents(serve.output().stdout).find((e) => e.msg.startsWith('worker exited'));
    assert.equal(exited?.workerPid, victim);
    assert.equal(exited?.signal, 'SIGKILL');
    workers = [survivor, replacement];
    const from = serve.output().stdout.length;
    for (let i = 0; pidsSince(from, '/v1/login', 200).size < 2 && i < 20; i++) {
      assert.equal((await login()).status, 200);
    }
    assert.deepEqual([...pidsSince(from, '/v1/login', 200)].sort(), [...workers].sort());
  });
});

describe("serve --workers, login rate limit; the operator's NODE_OPTIONS", withoutRedisServer, () => {
  const stack = twoWorkers({ LOGIN_RATE_LIMIT: '4', NODE_OPTIONS: '--max-semi-space-size=4' });
  const emulator = stack.emulator;
  let serve: ServeProcess;
  let redis: RedisProcess;
  before(() => {
    serve = stack.serve();
    redis = stack.redis();
  });

  it('is counted once across workers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { code } = (await emulator).control.login(APPID, `limited-${i}`);
      statuses.push((await call(serve.url, 'POST', '/v1/login', { code })).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    let served = new Set<number>();
    for (let i = 0; served.size < 2 && i < 600; i++) {
      served = new Set(answeredBy(serve.output().stdout).flatMap((r) => (r.url === '/v1/login' ? [r.pid] : [])));
      await sleep(50);
    }
    assert.equal(served.size, 2, 'both workers took logins');
  });

  it("a young generation sized in NODE_OPTIONS is the workers' (a flag on their command line would override it)", () => {
    assert.equal(stack.workers.length, 2);
    for (const pid of stack.workers) {
      const { argv, nodeOptions } = started(pid);
      assert.ok(!argv.some((arg) => arg.startsWith('--max-semi-space-size')), argv.join(' '));
      assert.equal(nodeOptions, '--max-semi-space-size=4');
    }
  });

  it('workers that cannot listen end the primary: their one line, exit 2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const env = serveEnv((await emulator).url, { REDIS_URL: redis.url, WORKERS: '2', PORT: String(port) });
      await assert.rejects(startServeProcess(env), (err: Error) => {
        assert.match(err.message, /exited with 2/);
        assert.match(err.message, new RegExp(`Cannot listen on 127.0.0.1:${port}: the port is taken`));
        assert.match(err.message, /a worker could not start \(see above\); stopping/);
        return true;
      });
    } finally {
      taken.close();
    }
  });
});

describe('serve --workers refused', () => {
  it('more than one worker without REDIS_URL: one line, exit 2', async () => {
    const emulator = await startEmulator({ apps: [{ appid: APPID, secret: SECRET }], logger: false });
    try {
      await assert.rejects(startServeProcess(serveEnv(emulator.url, { WORKERS: '2' })), (err: Error) => {
        assert.match(err.message, /exited with 2/);
        assert.match(err.message, /2 workers need REDIS_URL: .*Set REDIS_URL, or run one worker/);
        return true;
      });
      await assert.rejects(startServeProcess(serveEnv(emulator.url, { WORKERS: 'many' })), /WORKERS must be a whole/);
    } finally {
      await emulator.close();
    }
  });
});
