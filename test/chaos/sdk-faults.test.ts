import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { before, it } from 'node:test';
import { type AuthError, createAuth, type RetryOptions } from '../../packages/miniprogram/src/index.ts';
import type { CallEvent } from '../../src/emulator/index.ts';
import { startEmulator } from '../../src/emulator/start.ts';
import { createWxStandIn, scriptedUser } from '../../src/stand-in/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, APPID2, SECRET, SECRET2, type Stack, startStack } from '../server/stack.ts';

/**
 * Issue 9: on main, with about 10 % of jscode2session calls answering -1 and 5 % dropped, 422 of
 * 500 SDK logins succeeded (84.4 %): login() gave up at the first WECHAT_UNAVAILABLE. Here 1,000
 * logins of distinct users run through the stand-in `wx`, the real server and the real emulator
 * under those faults, with the SDK's default number of attempts and short waits.
 *
 * The server's own WeChat client retries -1 only where a second send is safe, and code2Session
 * is not such a call (a code works once): every retry measured here is the SDK's, with a fresh
 * wx.login code, which the test checks by counting the codes WeChat saw.
 */
const LOGINS = 1000;
const CONCURRENCY = 16;
/** The default attempts; waits of milliseconds instead of the default 200 ms · 2^n (and the server's Retry-After: 2). */
const FAST = { baseDelayMs: 4, maxDelayMs: 20 } satisfies RetryOptions;
const FAULTS = [
  { api: 'jscode2session', fail: 'system-error', rate: 0.1 },
  { api: 'jscode2session', fail: 'drop', rate: 0.05 },
] as const;

interface Outcome {
  ok: boolean;
  code?: string;
  retries: number;
  /** The SDK's waits before its retries, added up. */
  sleptMs: number;
  /** wx.login codes minted on the phone, and how many the SDK sent to /v1/login. */
  minted: number;
  sent: number;
}

interface Run {
  outcomes: Outcome[];
  ms: number;
  /** jscode2session as WeChat (the emulator) saw it: codes presented, and how each ended. */
  wechat: { calls: number; ok: number; busy: number; dropped: number; other: number };
}

/** `n` tasks, `concurrency` at a time, results in order. */
async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) results[i] = await task(i);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

forEachDialect(
  'chaos: SDK logins while WeChat is busy',
  (h) => {
    let s: Stack;
    const seen: CallEvent[] = [];
    before(async () => {
      // A fixed seed: the same fault draws in the same order (the interleaving of calls still varies).
      const emulator = h.track(
        await startEmulator({
          apps: [
            { appid: APPID, secret: SECRET, openPlatform: 'op-demo' },
            { appid: APPID2, secret: SECRET2, openPlatform: 'op-demo' },
          ],
          sessionKeyRotation: 'always',
          seed: 'issue-9-sdk-faults',
          onCall: (event) => {
            if (event.api === 'jscode2session') seen.push(event);
          },
          logger: false,
        }),
      );
      s = await startStack(h, { emulator });
      for (const rule of FAULTS) s.emulator.control.addFault(rule);
    });

    /** LOGINS first logins of distinct users, each on a phone of its own. */
    async function run(name: string, retry: RetryOptions | false): Promise<Run> {
      const first = seen.length;
      const started = performance.now();
      const outcomes = await pool(LOGINS, CONCURRENCY, async (i): Promise<Outcome> => {
        const wx = createWxStandIn({ emulatorUrl: s.emulator.url, appid: APPID, user: scriptedUser(`${name}-${i}`) });
        const auth = createAuth({ baseUrl: s.url, wx, retry });
        let retries = 0;
        let sleptMs = 0;
        auth.on('retry', ({ delayMs }) => {
          retries++;
          sleptMs += delayMs;
        });
        let failure: AuthError | undefined;
        await auth.login().catch((err: AuthError) => {
          failure = err;
        });
        const count = (api: string, phase: string) => wx.log.filter((e) => e.api === api && e.phase === phase).length;
        // A login sends nothing but POST /v1/login.
        const sent = count('request', 'call');
        return {
          ok: !failure,
          ...(failure && { code: failure.code }),
          retries,
          sleptMs,
          minted: count('login', 'ok'),
          sent,
        };
      });
      const ms = performance.now() - started;
      const calls = seen.slice(first);
      const wechat = {
        calls: calls.length,
        ok: calls.filter((e) => e.errcode === 0).length,
        busy: calls.filter((e) => e.errcode === -1).length,
        dropped: calls.filter((e) => e.outcome === 'dropped').length,
        other: calls.filter((e) => e.outcome === 'answered' && e.errcode !== 0 && e.errcode !== -1).length,
      };
      return { outcomes, ms, wechat };
    }

    function report(label: string, r: Run): string {
      const ok = r.outcomes.filter((o) => o.ok).length;
      const retries = r.outcomes.reduce((sum, o) => sum + o.retries, 0);
      const byRetries = new Map<number, number>();
      for (const o of r.outcomes) byRetries.set(o.retries, (byRetries.get(o.retries) ?? 0) + 1);
      const failed = [...new Set(r.outcomes.filter((o) => !o.ok).map((o) => o.code))];
      return (
        `${label}: ${ok}/${LOGINS} logins succeeded (${((100 * ok) / LOGINS).toFixed(1)} %), ` +
        `${retries} SDK retries, ${(r.ms / 1000).toFixed(1)} s at concurrency ${CONCURRENCY}; ` +
        `logins by retries used ${JSON.stringify(Object.fromEntries([...byRetries].sort(([a], [b]) => a - b)))}; ` +
        `jscode2session at WeChat: ${r.wechat.calls} codes, ${r.wechat.ok} ok, ${r.wechat.busy} -1, ` +
        `${r.wechat.dropped} dropped, ${r.wechat.other} other` +
        (failed.length > 0 ? `; failures: ${failed.join(', ')}` : '')
      );
    }

    it('without SDK retries (main before issue 9): about one login in seven fails', { timeout: 120_000 }, async (t) => {
      const r = await run('chaos-once', false);
      t.diagnostic(report('retry: false', r));
      const ok = r.outcomes.filter((o) => o.ok).length;
      // 0.9 × 0.95 = 85.5 % expected: the faults bite, and no retry hides them.
      assert.ok(ok > 0.78 * LOGINS && ok < 0.93 * LOGINS, `${ok} succeeded`);
      assert.equal(r.wechat.calls, LOGINS);
      for (const o of r.outcomes) assert.equal(o.ok ? o.sent : o.code, o.ok ? 1 : 'WECHAT_UNAVAILABLE');
    });

    it('1,000 logins, the default attempts: at least 99.9 % succeed, each code sent once, in bounded time', {
      timeout: 120_000,
    }, async (t) => {
      const r = await run('chaos-retry', FAST);
      t.diagnostic(report(`retry: ${JSON.stringify(FAST)}`, r));
      const ok = r.outcomes.filter((o) => o.ok).length;
      assert.ok(ok >= 0.999 * LOGINS, `${ok} of ${LOGINS} succeeded`);
      for (const o of r.outcomes) {
        // A fresh wx.login code for every attempt: as many minted as sent, as many sent as attempts.
        assert.equal(o.minted, o.retries + 1);
        assert.equal(o.sent, o.minted);
        if (!o.ok) assert.equal(o.code, 'WECHAT_UNAVAILABLE');
      }
      // WeChat saw each code the SDK sent exactly once: neither the server nor the SDK re-sent one,
      // so none came back "code been used".
      const sent = r.outcomes.reduce((sum, o) => sum + o.sent, 0);
      assert.equal(r.wechat.calls, sent);
      assert.equal(r.wechat.other, 0);
      assert.equal(r.wechat.ok, ok);
      // The run is bounded by the work, not by sleeping: each wait within the configured 20 ms, and
      // no login slept more than its retries allow (wall time is not asserted: CI machines are shared).
      for (const o of r.outcomes) assert.ok(o.sleptMs <= o.retries * FAST.maxDelayMs, `slept ${o.sleptMs} ms`);
    });
  },
  // One engine is enough: the faults are WeChat's, and the figure is the SDK's.
  { only: ['sqlite'] },
);
