import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { Pool } from 'undici';
import { type RunningEmulator, startEmulator } from '../../src/emulator/start.ts';
import { API_ERRORS } from '../../src/server/errors.ts';
import { type RawExchange, rawExchange } from '../helpers/raw-http.ts';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { IMAGES } from '../server/images.ts';
import { type FuzzRequest, type FuzzWorld, Rng, type Route, requestGenerator } from './fuzz-requests.ts';

/**
 * Issue 9, "never a 500 for a client's mistake": 60,000 fuzzed requests used to give 708 answers of
 * 500 INTERNAL (4xx errors of Fastify and its plugins mapped to 500), Fastify's own bodies for
 * malformed HTTP, and "unhandled error" lines for client aborts. Here `weapp-auth serve` runs as
 * production runs it, in a process of its own on 127.0.0.1 against the emulator, and takes
 * FUZZ_REQUESTS (50,000) seeded requests (FUZZ_SEED reproduces a run), then raw-socket garbage.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 50_000);
const SEED = Number(process.env.FUZZ_SEED ?? 9);
/** Requests in flight at once, over keep-alive connections. */
const IN_FLIGHT = 24;

const APPID = 'wx4f4bc4dec97d474b';
const SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const APPID2 = 'wx0123456789abcdef';
const SECRET2 = 'f1e2d3c4b5a60718293a4b5c6d7e8f90';

interface Tally {
  requests: number;
  byStatus: Record<string, number>;
  byCode: Record<string, number>;
  problems: string[];
}

it(`answers ${REQUESTS} hostile requests and raw garbage without a 5xx, in the error shape, and stays up`, {
  timeout: 600_000,
}, async (t) => {
  const emulator = await startEmulator({
    apps: [
      { appid: APPID, secret: SECRET, openPlatform: 'op-fuzz' },
      { appid: APPID2, secret: SECRET2, openPlatform: 'op-fuzz' },
    ],
    logger: false,
  });
  let server: ServeProcess | undefined;
  try {
    server = await startServeProcess({
      WEAPP_APPS: `${APPID}:${SECRET},${APPID2}:${SECRET2}`,
      WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
      WECHAT_API_BASE: emulator.url,
      LOGIN_RATE_LIMIT: '100000',
    });
    const pool = new Pool(server.url, { connections: IN_FLIGHT, headersTimeout: 30_000, bodyTimeout: 30_000 });
    const tally: Tally = { requests: 0, byStatus: {}, byCode: {}, problems: [] };
    const started = Date.now();
    try {
      const world = await buildWorld(pool, emulator);
      const next = requestGenerator(SEED, world);
      let issued = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (issued < REQUESTS) {
            issued++;
            await send(pool, next(), tally);
          }
        }),
      );
    } finally {
      await pool.close();
    }
    const fuzzMs = Date.now() - started;
    const raw = await rawPhase(server.port, tally);

    // Still the same process, still answering.
    assert.equal(server.exitStatus(), undefined, 'the server process exited');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);

    const { stdout, stderr } = server.output();
    const lines = stdout.split('\n').filter((line) => line.startsWith('{'));
    const errors = lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    const summary = {
      seed: SEED,
      requests: REQUESTS,
      rawExchanges: raw,
      durationSeconds: Math.round(fuzzMs / 100) / 10,
      requestsPerSecond: Math.round(REQUESTS / (fuzzMs / 1000)),
      byStatus: tally.byStatus,
      byCode: tally.byCode,
      logLines: { warn: lines.length - errors.length, error: errors.length },
    };
    // The figures for RELIABILITY.md.
    t.diagnostic(`fuzz: ${JSON.stringify(summary)}`);

    const serverErrors = Object.entries(tally.byStatus).filter(([status]) => Number(status) >= 500);
    assert.deepEqual(
      serverErrors,
      [],
      `no 5xx: nothing here fails on purpose, WeChat answers from the emulator; the server logged:\n${errors.join('\n')}`,
    );
    assert.deepEqual(tally.problems.slice(0, 20), [], `${tally.problems.length} answers broke the rules`);
    assert.deepEqual(errors.slice(0, 10), [], `error-level log lines (bugs only):\n${stderr}`);
  } finally {
    await server?.stop();
    await emulator.close();
  }
});

/** Routes from the server's own OpenAPI document, sessions to use, and a stored avatar. */
async function buildWorld(pool: Pool, emulator: RunningEmulator): Promise<FuzzWorld> {
  const docs = (await (await pool.request({ method: 'GET', path: '/docs/json' })).body.json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const routes: Route[] = Object.entries(docs.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
  );
  assert.ok(routes.length >= 12, `the OpenAPI document lists ${routes.length} routes`);
  const login = async (user: string, appid = APPID) => {
    const { code } = emulator.control.login(appid, user);
    const res = await pool.request({
      method: 'POST',
      path: '/v1/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, appid }),
    });
    assert.equal(res.statusCode, 200);
    return (await res.body.json()) as { accessToken: string; refreshToken: string };
  };
  const tokens: string[] = [];
  for (let i = 0; i < 8; i++) tokens.push((await login(`fuzz-${i}`, i % 2 ? APPID2 : APPID)).accessToken);
  const spare = [];
  for (let i = 0; i < 40; i++) spare.push(await login(`spare-${i}`));
  const upload = await pool.request({
    method: 'PUT',
    path: '/v1/me/avatar',
    headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'image/png' },
    body: IMAGES.png,
  });
  const { user } = (await upload.body.json()) as { user: { avatarUrl: string } };
  const avatarName = user.avatarUrl.split('/').pop() ?? '';
  let logins = 0;
  return {
    routes,
    appids: [APPID, APPID2],
    tokens,
    spare,
    avatarName,
    // Many users: WeChat allows one user 100 code exchanges a minute.
    loginCode: () => emulator.control.login(APPID, `fuzz-login-${logins++ % 500}`).code,
    userInfo: () => {
      const info = emulator.control.getUserInfo(APPID, 'fuzz-0') as unknown as Record<string, unknown>;
      const { errMsg: _, ...rest } = info;
      return rest;
    },
    png: IMAGES.png,
  };
}

async function send(pool: Pool, request: FuzzRequest, tally: Tally): Promise<void> {
  tally.requests++;
  let status: number;
  let type: string;
  let text: string;
  try {
    const res = await pool.request({ ...request, body: request.body });
    status = res.statusCode;
    type = String(res.headers['content-type'] ?? '');
    text = await res.body.text();
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    count(tally.byStatus, `transport:${code}`);
    tally.problems.push(`${describe(request)} → ${code}: ${(err as Error).message}`);
    return;
  }
  count(tally.byStatus, String(status));
  if (status < 400) return;
  const problem = errorShapeProblem(status, type, request.method === 'HEAD' ? undefined : text);
  if (problem) tally.problems.push(`${describe(request)} → ${status} ${problem}: ${text.slice(0, 200)}`);
  else if (request.method !== 'HEAD') count(tally.byCode, (JSON.parse(text) as { code: string }).code);
}

/** What is wrong with an error answer: not JSON, not exactly {code, message[, details]}, or a code of another status. */
function errorShapeProblem(status: number, type: string, text: string | undefined): string | undefined {
  if (!type.startsWith('application/json')) return `type ${type}`;
  if (text === undefined) return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'body not JSON';
  }
  const keys = Object.keys(body);
  if (keys.some((k) => !['code', 'message', 'details'].includes(k))) return `keys ${keys.join(',')}`;
  if (typeof body.message !== 'string' || body.message === '') return 'no message';
  if (body.details !== undefined && (typeof body.details !== 'object' || body.details === null)) return 'details';
  const entry = API_ERRORS[body.code as keyof typeof API_ERRORS] as { status: number } | undefined;
  if (!entry) return `code ${String(body.code)} not in API_ERRORS`;
  if (entry.status !== status) return `code ${String(body.code)} is a ${entry.status}`;
  return undefined;
}

/**
 * Bytes no HTTP client would send: each must get our JSON answer with Connection: close, then a
 * clean end of the connection (no reset); hang-ups mid-request must leave no trace but info lines.
 */
async function rawPhase(port: number, tally: Tally): Promise<number> {
  const rng = new Rng(SEED);
  const malformed: (string | Buffer)[][] = [
    ['GARBAGE\r\n\r\n'],
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['GET /healthz HTTP/9.9\r\n\r\n'],
    ['BREW /v1/login HTTP/1.1\r\nHost: x\r\n\r\n'],
    [`${'G'.repeat(5000)} / HTTP/1.1\r\n\r\n`],
    ['GET /v1/m\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['GET / HTTP/1.1\r\nHost x\r\n\r\n'],
    ['GET / HTTP/1.1\r\nHost : x\r\n\r\n'],
    ['GET / HTTP/1.1\r\nX-A: a\u0000b\r\n\r\n'],
    ['GET / HTTP/1.1\r\nX-A: a\r\n folded\r\n\r\n'],
    ['POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    ['POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}'],
    ['POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['POST /v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n'],
    ['POST /v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, identity\r\n\r\n'],
    ['GET / HTTP/1.1\r\nHost: x\r\n', `X-Big: ${'a'.repeat(17_000)}\r\n`, `X-More: ${'b'.repeat(64_000)}\r\n\r\n`],
    [`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n'],
    ...Array.from({ length: 40 }, () => [Buffer.concat([rng.bytes(rng.int(1, 2000)), Buffer.from('\r\n\r\n')])]),
    // Closed even if the line happens to parse as a header.
    ...Array.from({ length: 20 }, () => [
      `GET / HTTP/1.1\r\n${rng.string(rng.int(1, 300), ' \t:;,\x01\x7f\u00ffabc')}\r\nConnection: close\r\n\r\n`,
    ]),
  ];
  let exchanges = 0;
  for (const chunks of malformed) {
    const exchange = await rawExchange(port, chunks);
    exchanges++;
    checkRaw(exchange, chunks, tally, true);
  }
  // Odd but parseable: answered by the routes, in the error shape when refused.
  const odd = [
    'GET /healthz HTTP/1.0\r\n\r\n',
    'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET http://evil.example/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\nConnection: close\r\n\r\n{"code":"abc"}',
    'POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"cod\r\n0\r\n\r\n',
    'GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\nConnection: close\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ];
  for (const request of odd) {
    const exchange = await rawExchange(port, [request]);
    exchanges++;
    checkRaw(exchange, [request], tally, false);
  }
  // Clients that hang up, or stop writing, in the middle of a body.
  const partial =
    'POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"code":';
  for (let i = 0; i < 20; i++) {
    await rawExchange(port, [partial], i % 2 ? { halfClose: true } : { destroyAfterMs: 20 });
    exchanges++;
  }
  return exchanges;
}

function checkRaw(exchange: RawExchange, chunks: (string | Buffer)[], tally: Tally, malformed: boolean): void {
  const sent = JSON.stringify(
    Buffer.concat(chunks.map((c) => Buffer.from(c)))
      .toString('latin1')
      .slice(0, 120),
  );
  if (exchange.ending !== 'end') tally.problems.push(`raw ${sent}: connection ${exchange.ending}`);
  if (exchange.answers.length === 0) tally.problems.push(`raw ${sent}: no answer (${exchange.rest.slice(0, 100)})`);
  for (const answer of exchange.answers) {
    count(tally.byStatus, `raw:${answer.status}`);
    if (answer.status < 400) continue;
    const problem = errorShapeProblem(answer.status, answer.headers['content-type'] ?? '', answer.body);
    if (problem) tally.problems.push(`raw ${sent} → ${answer.status} ${problem}`);
    else count(tally.byCode, `raw:${(JSON.parse(answer.body) as { code: string }).code}`);
    if (malformed && answer.headers.connection !== 'close') {
      tally.problems.push(`raw ${sent} → ${answer.status} without Connection: close`);
    }
  }
}

function describe(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : ` body(${request.body.length}) ${String(request.body).slice(0, 60).replace(/\s+/g, ' ')}`;
  return `${request.method} ${request.path.slice(0, 120)} [${Object.keys(request.headers).join(',')}]${body}`;
}

function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
