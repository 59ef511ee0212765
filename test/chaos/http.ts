import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_SECRET_KEY } from '../helpers/databases.ts';
import { APPID, SECRET } from '../server/stack.ts';

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field and assert them
  body: Record<string, any>;
  text: string;
  headers: Headers;
}

/** One JSON request over a fresh connection each time (fault tests must not reuse a dying socket). */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      connection: 'close',
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    // A hang is a failure to report, not to wait out: far above any bound the server keeps.
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** The value of `fn` and how long it took: figures for RELIABILITY.md, never asserted. */
export async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

/** Repeats `fn` until it answers 2xx; a 500 on the way is a failure. */
export async function untilOk(fn: () => Promise<Answer>, attempts = 600): Promise<Answer> {
  for (let i = 0; i < attempts; i++) {
    const answer = await fn();
    if (answer.status >= 200 && answer.status < 300) return answer;
    if (answer.status === 500) throw new Error(`500 while recovering: ${answer.text}`);
    await sleep(50);
  }
  throw new Error('did not recover');
}

/**
 * The environment of `weapp-auth serve` in a fault test: one app, WeChat played by the emulator at
 * `wechatApiBase`, no rate limit in the way, no drain delay, info logs (the tests read them).
 */
export function serveEnv(wechatApiBase: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    WEAPP_APPS: `${APPID}:${SECRET}`,
    WEAPP_SECRET_KEY: TEST_SECRET_KEY,
    WECHAT_API_BASE: wechatApiBase,
    LOGIN_RATE_LIMIT: '100000',
    SHUTDOWN_DELAY_MS: '0',
    LOG_LEVEL: 'info',
    ...overrides,
  };
}
