/**
 * `npm run bench`: what a deployment gets. The server runs as its own process (compiled, from
 * dist/, logging at the default level), the WeChat emulator as another, and autocannon drives
 * them from this one; the two references (Fastify's hello-world and a minimal login server, see
 * bench/references/) run in the same run against the same emulator, so the ratios compare like
 * with like. Then the in-process micro-benchmarks (crypto, signing). Loopback only; bounded by
 * BENCH_DURATION (seconds per row, default 10) × rows × BENCH_ROUNDS (default 1). Nothing here
 * is asserted.
 *   npm run bench                                   SQLite
 *   BENCH_DATABASE_URL=postgres://… npm run bench   also PostgreSQL (in a schema of its own, dropped after)
 *   BENCH_REDIS_URL=redis://…                       also serve --workers 2 against one worker, both with Redis
 *                                                   (on SQLite, and on PostgreSQL too with BENCH_DATABASE_URL)
 *   BENCH_ROUNDS=3                                  medians of 3 interleaved rounds
 *   BENCH_ONLY=login,me                             rows whose name contains one of these
 *   BENCH_ONLY='ours login, SQLite|reference login' the same, split on | (row names hold commas)
 *   BENCH_ROOT=/path/to/other/checkout              measure another build (its dist/) with this harness
 *   bash scripts/bench-on-node.sh 24                the whole run on Node 24 (from the npm registry)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type LoadResult, type LoadSpec, runLoad } from './load.ts';
import { microBenches } from './micro.ts';
import { type EmulatorProcess, type ServerProcess, startEmulatorProcess, startServer } from './processes.ts';

const root = process.env.BENCH_ROOT ?? new URL('..', import.meta.url).pathname;
const duration = Number(process.env.BENCH_DURATION ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
// Row names hold commas ("ours login, SQLite"): with a | in it, BENCH_ONLY splits on | instead.
const onlyText = process.env.BENCH_ONLY;
const only = onlyText?.split(onlyText.includes('|') ? '|' : ',').filter(Boolean);
const CONNECTIONS = 50;
const USERS = 1000;
const APPID = 'wx4f4bc4dec97d474b';
const SECRET = randomBytes(16).toString('hex');

interface Row {
  name: string;
  run(): Promise<LoadResult>;
}

const post = async (url: string, path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, string>;
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
};

/**
 * Enough fresh codes for a login row at any plausible rate; the users cycle like a flash sale's crowd.
 * A row that runs out sends used codes again, which WeChat refuses (40163): fast failures, counted in
 * the row's failures column. 4,000 a second ran out on Node 24 (the reference login at 4,000 rps).
 */
async function loginSpec(emulator: EmulatorProcess, connections: number, seconds: number): Promise<LoadSpec> {
  const codes = await emulator.codes(`u${randomBytes(3).toString('hex')}-`, USERS, Math.ceil(seconds * 10_000));
  let next = 0;
  return {
    method: 'POST',
    path: '/v1/login',
    connections,
    durationSeconds: seconds,
    body: () => JSON.stringify({ code: codes[next++ % codes.length] }),
  };
}

function weappAuth(
  label: string,
  databaseUrl: string,
  dir: string,
  env: Record<string, string> = {},
): () => Promise<ServerProcess> {
  return () =>
    startServer(
      `weapp-auth (${label})`,
      [join(root, 'dist/cli/main.js'), 'serve'],
      {
        WEAPP_APPS: `${APPID}:${SECRET}`,
        WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
        DATABASE_URL: databaseUrl,
        WECHAT_API_BASE: emulatorUrl,
        // Every bench request comes from 127.0.0.1; the limit is still counted, as in production.
        LOGIN_RATE_LIMIT: '100000',
        AVATAR_DIR: join(dir, `avatars-${label}`),
        ...(process.env.BENCH_WORKERS && { WORKERS: process.env.BENCH_WORKERS }),
        ...env,
      },
      '/healthz',
    );
}

let emulatorUrl = '';

/**
 * The label of the SQLite rows with DB_WRITER_THREAD=off: the event loop writes. The plain SQLite
 * rows run the default (`auto`: a writer thread from two cores on).
 */
const LOOP_WRITES = 'SQLite, event-loop writes';

/** The rows for one of our servers: login, /v1/me, refresh. */
function oursRows(label: string, server: () => ServerProcess, emulator: EmulatorProcess): Row[] {
  return [
    {
      name: `ours login, ${label}`,
      run: async () => runLoad(server(), await loginSpec(emulator, CONNECTIONS, duration)),
    },
    {
      name: `ours GET /v1/me, ${label}`,
      run: async () => {
        const [code] = await emulator.codes('me-', 1, 1);
        const { accessToken } = await post(server().url, '/v1/login', { code });
        return runLoad(server(), {
          method: 'GET',
          path: '/v1/me',
          connections: CONNECTIONS,
          durationSeconds: duration,
          headers: { authorization: `Bearer ${accessToken}` },
        });
      },
    },
    {
      name: `ours refresh, ${label}`,
      run: async () => {
        // A queue of live refresh tokens: each request takes one, its answer puts the successor back.
        const codes = await emulator.codes(`r${randomBytes(3).toString('hex')}-`, CONNECTIONS * 2, CONNECTIONS * 2);
        const queue: string[] = [];
        for (const code of codes) queue.push((await post(server().url, '/v1/login', { code })).refreshToken ?? '');
        return runLoad(server(), {
          method: 'POST',
          path: '/v1/token/refresh',
          connections: CONNECTIONS,
          durationSeconds: duration,
          body: () => JSON.stringify({ refreshToken: queue.shift() }),
          onResponse: (status, body) => {
            if (status === 200) queue.push((JSON.parse(body) as { refreshToken: string }).refreshToken);
          },
        });
      },
    },
  ];
}

const median = (values: number[]) => {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

function summarize(results: LoadResult[]): LoadResult {
  const pick = (f: (r: LoadResult) => number) => median(results.map(f));
  return {
    rps: pick((r) => r.rps),
    p50: pick((r) => r.p50),
    p99: pick((r) => r.p99),
    cpuMsPerRequest: pick((r) => r.cpuMsPerRequest),
    loopMsPerRequest: pick((r) => r.loopMsPerRequest),
    peakRssMb: Math.max(...results.map((r) => r.peakRssMb)),
    failures: results.reduce((sum, r) => sum + r.failures, 0),
  };
}

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error(`no build in ${root}/dist: run npm run build`);
  const load = loadavg().map((l) => l.toFixed(2));
  process.stderr.write(`bench: ${duration} s per row, ${rounds} round(s); load average ${load.join(' ')}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-bench-'));
  const emulator = await startEmulatorProcess(root, APPID, SECRET);
  emulatorUrl = emulator.url;
  const servers: ServerProcess[] = [];
  const pgUrl = process.env.BENCH_DATABASE_URL;
  const redisUrl = process.env.BENCH_REDIS_URL;
  const schema = `wa_bench_${randomBytes(4).toString('hex')}`;
  let pgAdmin: pg.Client | undefined;
  const results = new Map<string, LoadResult[]>();
  try {
    const start = async (open: () => Promise<ServerProcess>) => {
      const server = await open();
      servers.push(server);
      return server;
    };
    const hello = await start(() =>
      startServer('hello-world', [new URL('./references/hello.mjs', import.meta.url).pathname], {}),
    );
    const reference = await start(() =>
      startServer('reference login', [new URL('./references/login.mjs', import.meta.url).pathname], {
        WECHAT_API_BASE: emulator.url,
        APPID,
        SECRET,
        JWT_SECRET: randomBytes(32).toString('hex'),
      }),
    );
    const sqlite = await start(weappAuth('SQLite', `sqlite:${join(dir, 'bench.db')}`, dir));
    const sqliteLoopWrites = await start(
      weappAuth(LOOP_WRITES, `sqlite:${join(dir, 'loop-writes.db')}`, dir, { DB_WRITER_THREAD: 'off' }),
    );
    let postgres: ServerProcess | undefined;
    if (pgUrl) {
      pgAdmin = new pg.Client({ connectionString: pgUrl });
      await pgAdmin.connect();
      await pgAdmin.query(`create schema ${schema}`);
      const url = new URL(pgUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      postgres = await start(weappAuth('PostgreSQL', url.href, dir));
    }
    // One worker and two, both on Redis (which more than one worker needs) and each on a SQLite
    // file of its own: the same work per request, so the ratio is what the second process adds.
    // With BENCH_DATABASE_URL the same on PostgreSQL (a schema each), where the workers do not
    // take turns on one file's write lock.
    const workers = new Map<string, ServerProcess>();
    for (const n of redisUrl ? [1, 2] : []) {
      const env = { REDIS_URL: redisUrl ?? '', WORKERS: String(n) };
      const label = `${n} worker${n > 1 ? 's' : ''}`;
      workers.set(
        workersLabel(n, 'SQLite'),
        await start(weappAuth(label, `sqlite:${join(dir, `w${n}.db`)}`, dir, env)),
      );
      if (pgAdmin && pgUrl) {
        await pgAdmin.query(`create schema ${schema}_w${n}`);
        const url = new URL(pgUrl);
        url.searchParams.set('options', `-c search_path=${schema}_w${n}`);
        workers.set(workersLabel(n, 'PostgreSQL'), await start(weappAuth(`${label}, PostgreSQL`, url.href, dir, env)));
      }
    }
    const rows: Row[] = [
      {
        name: 'hello-world',
        run: () => runLoad(hello, { method: 'GET', path: '/', connections: CONNECTIONS, durationSeconds: duration }),
      },
      {
        name: 'reference login',
        run: async () => runLoad(reference, await loginSpec(emulator, CONNECTIONS, duration)),
      },
      ...oursRows('SQLite', () => sqlite, emulator),
      // The same with SQLite's writes on the event loop (DB_WRITER_THREAD=off; auto has a thread on 2+ cores).
      ...oursRows(LOOP_WRITES, () => sqliteLoopWrites, emulator).filter((row) => !row.name.includes('/v1/me')),
      ...(postgres ? oursRows('PostgreSQL', () => postgres, emulator) : []),
      ...[...workers].flatMap(([label, server]) =>
        oursRows(label, () => server, emulator).filter((row) => !row.name.includes('refresh')),
      ),
      ...[reference, sqlite].map((server) => ({
        name: `${server === reference ? 'reference' : 'ours'} login, 50 ms WeChat, 500 connections`,
        run: async () => {
          await emulator.setLatency(50);
          try {
            return await runLoad(server, await loginSpec(emulator, 500, duration));
          } finally {
            await emulator.setLatency(0);
          }
        },
      })),
      {
        name: 'ours GET /v1/me, SQLite, 1,000 connections',
        run: async () => {
          const [code] = await emulator.codes('rss-', 1, 1);
          const { accessToken } = await post(sqlite.url, '/v1/login', { code });
          return runLoad(sqlite, {
            method: 'GET',
            path: '/v1/me',
            connections: 1000,
            durationSeconds: duration,
            headers: { authorization: `Bearer ${accessToken}` },
          });
        },
      },
    ].filter((row) => !only || only.some((o) => row.name.includes(o)));

    for (let round = 1; round <= rounds; round++) {
      for (const row of rows) {
        process.stderr.write(`round ${round}: ${row.name}… `);
        const result = await row.run();
        results.set(row.name, [...(results.get(row.name) ?? []), result]);
        process.stderr.write(`${Math.round(result.rps)} rps, p99 ${result.p99} ms\n`);
      }
    }
  } finally {
    for (const server of servers) await server.stop();
    await emulator.stop();
    if (pgAdmin) {
      for (const name of [schema, `${schema}_w1`, `${schema}_w2`]) {
        await pgAdmin.query(`drop schema if exists ${name} cascade`);
      }
      await pgAdmin.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }

  const summary = new Map([...results].map(([name, list]) => [name, summarize(list)]));
  const fmt = (n: number, digits = 0) =>
    Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';
  const lines = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.versions.node}; ` +
      `load average at start ${load.join(' ')}; ${duration} s per row, ${CONNECTIONS} connections unless said, ` +
      `${rounds === 1 ? 'one round' : `medians of ${rounds} interleaved rounds`}.`,
    '',
    '| what | rps | p50 ms | p99 ms | server CPU ms/request | event loop CPU ms/request | peak RSS MB | failures |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...[...summary].map(
      ([name, r]) =>
        `| ${name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${fmt(r.cpuMsPerRequest, 3)} | ${fmt(r.loopMsPerRequest, 3)} | ${fmt(r.peakRssMb)} | ${r.failures} |`,
    ),
    '',
    ...ratios(summary),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (!only || only.includes('micro')) process.stdout.write(`\n${await microBenches()}\n`);
}

const workersLabel = (n: number, database: 'SQLite' | 'PostgreSQL') => `${database} + Redis, --workers ${n}`;

/** The goals of issue 11, as measured in this run. */
function ratios(summary: Map<string, LoadResult>): string[] {
  const rps = (name: string) => summary.get(name)?.rps ?? Number.NaN;
  const hello = rps('hello-world');
  const reference = rps('reference login');
  const line = (what: string, value: number, goal: string) =>
    Number.isFinite(value) ? [`| ${what} | ${value.toFixed(2)}× | ${goal} |`] : [];
  const added = (name: string) => (summary.get(name)?.p99 ?? Number.NaN) - 50;
  const oursAdded = added('ours login, 50 ms WeChat, 500 connections');
  const refAdded = added('reference login, 50 ms WeChat, 500 connections');
  const rss = summary.get('ours GET /v1/me, SQLite, 1,000 connections')?.peakRssMb ?? Number.NaN;
  return [
    '| ratio | measured | goal |',
    '| --- | --- | --- |',
    ...line('login SQLite / reference login', rps('ours login, SQLite') / reference, '≥ 1.2×'),
    ...line('login PostgreSQL / reference login', rps('ours login, PostgreSQL') / reference, '≥ 1.0×'),
    ...line('GET /v1/me SQLite / hello-world', rps('ours GET /v1/me, SQLite') / hello, '≥ 0.5×'),
    ...line('GET /v1/me PostgreSQL / hello-world', rps('ours GET /v1/me, PostgreSQL') / hello, '≥ 0.5×'),
    ...line('refresh SQLite / reference login', rps('ours refresh, SQLite') / reference, '≥ 1.5×'),
    ...line('refresh PostgreSQL / reference login', rps('ours refresh, PostgreSQL') / reference, '≥ 1.5×'),
    ...line(
      `login ${LOOP_WRITES} / reference login`,
      rps(`ours login, ${LOOP_WRITES}`) / reference,
      '(for comparison)',
    ),
    ...line(
      `refresh ${LOOP_WRITES} / reference login`,
      rps(`ours refresh, ${LOOP_WRITES}`) / reference,
      '(for comparison)',
    ),
    ...(Number.isFinite(oursAdded) && Number.isFinite(refAdded)
      ? [`| added p99, 50 ms WeChat, 500 connections | +${oursAdded} ms (reference +${refAdded} ms) | ≤ reference |`]
      : []),
    ...(Number.isFinite(rss) ? [`| RSS at 1,000 connections (/v1/me) | ${rss.toFixed(0)} MB | ≤ 150 MB |`] : []),
    ...(['SQLite', 'PostgreSQL'] as const).flatMap((database) => [
      ...line(
        `login --workers 2 / --workers 1, ${database}`,
        rps(`ours login, ${workersLabel(2, database)}`) / rps(`ours login, ${workersLabel(1, database)}`),
        '> 1× (what the second core adds)',
      ),
      ...line(
        `GET /v1/me --workers 2 / --workers 1, ${database}`,
        rps(`ours GET /v1/me, ${workersLabel(2, database)}`) / rps(`ours GET /v1/me, ${workersLabel(1, database)}`),
        '> 1× (what the second core adds)',
      ),
    ]),
  ];
}

await main();
