/**
 * `npm run bench`: throughput and latency of the hot paths, printed as a Markdown table to paste
 * into BENCHMARKS.md. Loopback only, bounded in count; nothing here is asserted.
 *   npm run bench                    SQLite
 *   BENCH_DATABASE_URL=postgres://… npm run bench   also PostgreSQL (in its own schema)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config/config.ts';
import { startEmulator } from '../src/emulator/start.ts';
import { buildServer } from '../src/server/app.ts';
import { createServerContext } from '../src/server/services.ts';
import { signAccessToken, verifyAccessToken } from '../src/tokens/access-token.ts';
import { generateSigningKey, KeyRing } from '../src/tokens/key-ring.ts';
import { decryptOpenData, verifyRawDataSignature } from '../src/wechat/crypto/index.ts';

const rows: string[] = [];
const record = (what: string, n: number, ms: number, latencies?: number[]) => {
  const sorted = latencies?.slice().sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted ? `${sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]?.toFixed(1)} ms` : '—';
  rows.push(`| ${what} | ${n} | ${Math.round((n / ms) * 1000).toLocaleString('en')} /s | ${pct(0.5)} | ${pct(0.99)} |`);
  process.stderr.write(`${rows.at(-1)}\n`);
};

function timeSync(what: string, n: number, fn: () => void): void {
  for (let i = 0; i < Math.min(n, 200); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  record(what, n, performance.now() - t0);
}

async function timeConcurrent(
  what: string,
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        await fn(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  record(what, n, performance.now() - t0, latencies);
}

async function cryptoBenches(): Promise<void> {
  const v = {
    appId: 'wx4f4bc4dec97d474b',
    sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
    iv: 'r7BXXKkLb8qrSNn05n0qiA==',
    encryptedData:
      'CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==',
  };
  timeSync('decryptOpenData (official vector, 400 B)', 50_000, () => {
    decryptOpenData(v.sessionKey, v.iv, v.encryptedData, { appid: v.appId });
  });
  timeSync('verifyRawDataSignature', 100_000, () => {
    verifyRawDataSignature(
      '{"nickName":"Band"}',
      '75e81ceda165f4ffa64f4068af58c64b8f54b88c',
      'HyVFkGl5F5OQWJZZaNzBBg==',
    );
  });
  const ring = await KeyRing.from([await generateSigningKey(Date.now())]);
  const input = {
    userId: 'u_x',
    appid: v.appId,
    sessionId: 's_x',
    openid: 'o_x',
    issuer: 'weapp-auth',
    ttlSeconds: 7200,
  };
  const token = await signAccessToken(ring, { ...input, now: Date.now() });
  await timeConcurrent('sign access token (EdDSA)', 20_000, 1, async () => {
    await signAccessToken(ring, { ...input, now: Date.now() });
  });
  await timeConcurrent('verify access token (EdDSA)', 20_000, 1, async () => {
    await verifyAccessToken(ring, token, { issuer: 'weapp-auth', audiences: [v.appId], now: Date.now() });
  });
}

async function httpBenches(label: string, databaseUrl: string, avatarDir: string, schema?: string): Promise<void> {
  const appid = 'wx4f4bc4dec97d474b';
  const secret = randomBytes(16).toString('hex');
  const emulator = await startEmulator({
    apps: [{ appid, secret }],
    logger: false,
    limits: { code2SessionPerUserPerMinute: 1e9 },
  });
  const config = loadConfig({
    WEAPP_APPS: `${appid}:${secret}`,
    WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: databaseUrl,
    WECHAT_API_BASE: emulator.url,
    LOGIN_RATE_LIMIT: '100000',
    AVATAR_DIR: avatarDir,
  });
  const ctx = await createServerContext(config, { schema });
  const app = await buildServer(ctx, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  try {
    const n = 2000;
    const codes = Array.from({ length: n }, (_, i) => emulator.control.login(appid, `user${i % 500}`).code);
    let token = '';
    await timeConcurrent(`POST /v1/login, ${label} (emulator upstream, 500 users)`, n, 16, async (i) => {
      const res = await post('/v1/login', { code: codes[i] });
      const body = (await res.json()) as { accessToken: string };
      if (res.status !== 200) throw new Error(`login ${res.status}`);
      token = body.accessToken;
    });
    await timeConcurrent(`GET /v1/me, ${label} (JWT + session check)`, 5000, 16, async () => {
      const res = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`me ${res.status}`);
    });
    const firsts = await Promise.all(
      Array.from({ length: 50 }, (_, i) => emulator.control.login(appid, `refresher${i}`).code),
    );
    const refresh: string[] = [];
    for (const code of firsts)
      refresh.push(((await (await post('/v1/login', { code })).json()) as { refreshToken: string }).refreshToken);
    await timeConcurrent(`POST /v1/token/refresh, ${label}`, 2000, 16, async (i) => {
      const slot = i % refresh.length;
      const res = await post('/v1/token/refresh', { refreshToken: refresh[slot] });
      const body = (await res.json()) as { refreshToken: string };
      if (res.status !== 200) throw new Error(`refresh ${res.status}`);
      refresh[slot] = body.refreshToken;
    });
  } finally {
    await app.close();
    await ctx.close();
    await emulator.close();
  }
}

async function benchPostgres(url: string, avatarDir: string): Promise<void> {
  const schema = `wa_bench_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create schema ${schema}`);
  try {
    await httpBenches('PostgreSQL', url, avatarDir, schema);
  } finally {
    await client.query(`drop schema ${schema} cascade`);
    await client.end();
  }
}

async function main(): Promise<void> {
  process.stderr.write('running benchmarks…\n');
  await cryptoBenches();
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-bench-'));
  try {
    await httpBenches('SQLite', `sqlite:${join(dir, 'bench.db')}`, join(dir, 'avatars'));
    const pgUrl = process.env.BENCH_DATABASE_URL;
    if (pgUrl) await benchPostgres(pgUrl, join(dir, 'avatars'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `\n| what | n | throughput | p50 | p99 |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`,
  );
}

await main();
