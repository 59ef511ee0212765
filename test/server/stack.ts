import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import type { UserInfoResult, WxFail } from '../../src/emulator/index.ts';
import { type RunningEmulator, startEmulator } from '../../src/emulator/start.ts';
import { buildServer } from '../../src/server/app.ts';
import { loggerOptions } from '../../src/server/logger.ts';
import { createServerContext, type OwnedServerContext } from '../../src/server/services.ts';
import { getSessionKeys, toIdentity } from '../../src/store/index.ts';
import { type DialectHarness, type FreshDatabase, TEST_SECRET_KEY } from '../helpers/databases.ts';

export const APPID = 'wx4f4bc4dec97d474b';
export const SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const APPID2 = 'wx0123456789abcdef';
export const SECRET2 = 'f1e2d3c4b5a60718293a4b5c6d7e8f90';

export interface StackOptions {
  env?: Record<string, string>;
  /** Redis key prefix, with REDIS_URL in env: instances sharing it share their cache. */
  cachePrefix?: string;
  database?: FreshDatabase;
  emulator?: RunningEmulator;
}

/** The real thing on loopback: the emulator, and the server on a fresh database of the harness's dialect. */
export async function startStack(h: DialectHarness, options: StackOptions = {}) {
  const emulator =
    options.emulator ??
    h.track(
      await startEmulator({
        apps: [
          { appid: APPID, secret: SECRET, openPlatform: 'op-demo' },
          { appid: APPID2, secret: SECRET2, openPlatform: 'op-demo' },
        ],
        sessionKeyRotation: 'always',
        logger: false,
      }),
    );
  const database = options.database ?? (await h.freshDatabase());
  // Uploaded avatars of this stack only, removed with it.
  const avatarDir = mkdtempSync(join(tmpdir(), 'weapp-auth-avatars-'));
  h.track({ close: async () => rmSync(avatarDir, { recursive: true, force: true }) });
  const config = loadConfig({
    WEAPP_APPS: `${APPID}:${SECRET},${APPID2}:${SECRET2}`,
    WEAPP_SECRET_KEY: TEST_SECRET_KEY,
    DATABASE_URL: database.url,
    WECHAT_API_BASE: emulator.url,
    LOGIN_RATE_LIMIT: '100000',
    AVATAR_DIR: avatarDir,
    // A loaded machine must not turn a slow query into DATABASE_UNAVAILABLE; tests of that set their own.
    DB_TIMEOUT_MS: '20000',
    ...options.env,
  });
  // The server's clock: tests move it forward to expire tokens.
  const clock = { offsetMs: 0 };
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const ctx = await createServerContext(config, {
    now: () => Date.now() + clock.offsetMs,
    // One logger for requests and dependency events, so the leak check at close reads both.
    log: pino(loggerOptions('info'), stream),
    schema: database.schema,
    cachePrefix: options.cachePrefix,
    // Generous bounds: on a loaded machine a call to the emulator on loopback may take seconds; no test
    // here waits for a WeChat timeout (the emulator's faults drop the connection instead).
    wechat: { timeoutMs: 15_000, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } },
  });
  const app = await buildServer(ctx);
  app.addHook('onClose', () => ctx.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  /** Tokens this stack handed out, to look for in the logs at close; every answer, for secrets. */
  const issued = new Set<string>();
  const answers: string[] = [];
  let closed = false;
  const stack = {
    url,
    avatarDir,
    clock,
    app,
    ctx,
    emulator,
    database,
    logs,
    /** Closes the server, first checking that no log line of its life held a secret. */
    async close() {
      if (closed) return;
      closed = true;
      try {
        await assertNoSecretsLeaked(ctx, { logs: logs.join(''), answers: answers.join('') }, issued);
      } finally {
        await app.close();
      }
    },
    /** JSON over real HTTP. */
    async call(
      method: string,
      path: string,
      init: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
    ) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
          ...(init.token && { authorization: `Bearer ${init.token}` }),
          ...init.headers,
        },
        ...(init.body !== undefined && { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
      });
      const text = await res.text();
      answers.push(text);
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = { text };
      }
      for (const field of ['accessToken', 'refreshToken']) {
        if (typeof json[field] === 'string') issued.add(json[field] as string);
      }
      // biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field and assert them
      return { status: res.status, body: json as Record<string, any>, text, headers: res.headers };
    },
    /** How many times the emulator saw `api` called for `appid`. */
    upstreamCalls(api: string, appid = APPID): number {
      return (emulator.control.calls(appid).counts[appid] as Record<string, number> | undefined)?.[api] ?? 0;
    },
    /** wx.login on the phone of `user`, then POST /v1/login. */
    async login(user: string, extra: Record<string, unknown> = {}, appid = APPID) {
      const { code } = emulator.control.login(appid, user);
      return stack.call('POST', '/v1/login', { body: { code, appid, ...extra } });
    },
    userInfo(user: string, appid = APPID, anonymous = false): Required<Omit<UserInfoResult, 'errMsg'>> {
      const r = emulator.control.getUserInfo(appid, user, { anonymous }) as UserInfoResult | WxFail;
      if (!('encryptedData' in r)) throw new Error(`getUserInfo failed: ${r.errMsg}`);
      return r as Required<UserInfoResult>;
    },
  };
  h.track(stack);
  return stack;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/**
 * Every server test is also a leak test: at close, no answer may hold an app secret, the key that
 * seals data at rest or a session_key the server ever stored; no log line may hold those, nor a
 * token it handed out, nor a full phone number.
 */
async function assertNoSecretsLeaked(
  ctx: OwnedServerContext,
  seen: { logs: string; answers: string },
  issued: Set<string>,
): Promise<void> {
  const never = new Map<string, string>([[TEST_SECRET_KEY, 'WEAPP_SECRET_KEY']]);
  for (const app of ctx.config.apps) never.set(app.secret, `the secret of ${app.appid}`);
  const identities = await ctx.store.db.selectFrom('identities').selectAll().execute();
  for (const row of identities) {
    const keys = getSessionKeys(ctx.store, toIdentity(row));
    for (const key of [keys.current, keys.previous]) if (key) never.set(key, 'a session_key');
  }
  const notLogged = new Map(never);
  for (const token of issued) notLogged.set(token, 'a token handed out');
  const phones = await ctx.store.db
    .selectFrom('users')
    .select('phone_number')
    .where('phone_number', 'is not', null)
    .execute();
  for (const { phone_number } of phones) if (phone_number) notLogged.set(phone_number, 'a full phone number');
  const found = (secrets: Map<string, string>, text: string) => [
    ...new Set([...secrets].filter(([secret]) => text.includes(secret)).map(([, what]) => what)),
  ];
  const problems = [
    ...found(notLogged, seen.logs).map((what) => `the server logged ${what}`),
    ...found(never, seen.answers).map((what) => `an answer held ${what}`),
  ];
  if (problems.length > 0) throw new Error(problems.join('; '));
}
