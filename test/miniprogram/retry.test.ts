import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AuthError,
  type AuthOptions,
  DEFAULT_RETRY,
  type RetryEvent,
  SERVER_ERROR_CODES,
} from '../../packages/miniprogram/src/index.ts';
import {
  isRepeatable,
  isTransient,
  retryAfterMs,
  retryDelay,
  retryPolicy,
} from '../../packages/miniprogram/src/retry.ts';
import { API_ERRORS } from '../../src/server/errors.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, type Stack, startStack } from '../server/stack.ts';
import { type Phone, phone } from './phone.ts';

describe('the retry policy', () => {
  it('retries every 503 of the catalogue and a request without answer; never a 4xx or another 5xx', () => {
    for (const code of SERVER_ERROR_CODES) {
      const { status } = API_ERRORS[code];
      assert.equal(isTransient(new AuthError(code, '', { statusCode: status })), status === 503, code);
    }
    assert.equal(isTransient(new AuthError('NETWORK_ERROR', 'request:fail timeout')), true);
    // A proxy's 503 without our body (a gateway in front of a restarting instance).
    assert.equal(isTransient(new AuthError('HTTP_ERROR', 'HTTP 503', { statusCode: 503 })), true);
    for (const [code, statusCode] of [
      ['HTTP_ERROR', 502],
      ['HTTP_ERROR', 504],
      ['HTTP_ERROR', 429],
    ] as const) {
      assert.equal(isTransient(new AuthError(code, '', { statusCode })), false, `${code} ${statusCode}`);
    }
    assert.equal(isTransient(new AuthError('WX_API_FAILED', 'login:fail')), false);
    assert.equal(isTransient(new Error('a bug')), false);
  });

  it('full jitter: random below min(max, base·2^(retry-1)); the whole range is reachable', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    const at = (random: number, retry: number) => retryDelay({ ...policy, random: () => random }, retry);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((retry) => at(0.999_999, retry)),
      [99, 199, 399, 799, 999, 999],
    );
    assert.deepEqual(
      [1, 2, 3].map((retry) => at(0, retry)),
      [0, 0, 0],
    );
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        (random, retry, baseDelayMs, maxDelayMs) => {
          const delay = retryDelay({ baseDelayMs, maxDelayMs, random: () => random }, retry);
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
          return Number.isInteger(delay) && delay >= 0 && (delay < ceiling || delay === 0);
        },
      ),
    );
  });

  it('Retry-After is waited in full with the jitter on top, capped at maxDelayMs', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 3000, random: () => 0.5 };
    assert.equal(retryDelay(policy, 1, 2000), 2050);
    assert.equal(retryDelay(policy, 1, 0), 50);
    assert.equal(retryDelay(policy, 1, 120_000), 3000);
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 100_000 }),
        (random, retry, after) => {
          const delay = retryDelay({ ...policy, random: () => random }, retry, after);
          return delay >= Math.min(after, policy.maxDelayMs) && delay <= policy.maxDelayMs;
        },
      ),
    );
  });

  it('reads Retry-After as seconds or an HTTP date, whatever the header case; nonsense is no Retry-After', () => {
    const now = Date.parse('Tue, 01 Dec 2026 05:00:00 GMT');
    const cases: [Record<string, unknown> | undefined, number | undefined][] = [
      [{ 'retry-after': '2' }, 2000],
      [{ 'Retry-After': '0' }, 0],
      [{ 'RETRY-AFTER': ' 120 ' }, 120_000],
      [{ 'Retry-After': 3 }, 3000],
      [{ 'Retry-After': 'Tue, 01 Dec 2026 05:00:07 GMT' }, 7000],
      [{ 'Retry-After': 'Tue, 01 Dec 2026 04:59:00 GMT' }, 0],
      [{ 'Retry-After': '1.5' }, undefined],
      [{ 'Retry-After': '-1' }, undefined],
      [{ 'Retry-After': 'soon' }, undefined],
      [{ 'Retry-After': '' }, undefined],
      [{ 'content-type': 'application/json' }, undefined],
      [undefined, undefined],
    ];
    for (const [header, expected] of cases) assert.equal(retryAfterMs(header, now), expected, JSON.stringify(header));
  });

  it('repeatable methods: GET, HEAD, PUT, DELETE, OPTIONS (and no method: GET); not POST or PATCH', () => {
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', undefined] as const) {
      assert.equal(isRepeatable(method), true, method);
    }
    for (const method of ['POST', 'PATCH', 'CONNECT'] as const) assert.equal(isRepeatable(method), false, method);
  });

  it('defaults, `false`, and mistakes as TypeError', () => {
    assert.deepEqual(DEFAULT_RETRY, { attempts: 5, baseDelayMs: 200, maxDelayMs: 3000 });
    const defaults = retryPolicy(undefined);
    assert.deepEqual(
      { attempts: defaults.attempts, baseDelayMs: defaults.baseDelayMs, maxDelayMs: defaults.maxDelayMs },
      DEFAULT_RETRY,
    );
    assert.equal(retryPolicy(false).attempts, 1);
    assert.equal(retryPolicy({ attempts: 2 }).baseDelayMs, 200);
    for (const bad of [{ attempts: 0 }, { attempts: 1.5 }, { baseDelayMs: -1 }, { maxDelayMs: Number.NaN }]) {
      assert.throws(() => retryPolicy(bad), TypeError, JSON.stringify(bad));
    }
  });
});

/** One scripted answer of the phone's network, in place of the server's. */
type Outcome = 'drop' | { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * The phone's fetch: requests to `path` on the server take the scripted outcomes first (a dropped
 * connection, or an answer the server did not give), then reach the server. The emulator's phone
 * API is left alone.
 */
function flakyNetwork(s: Stack, path: string, script: Outcome[]): typeof fetch {
  return async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith(`${s.url}${path}`)) {
      const outcome = script.shift();
      if (outcome === 'drop') throw new TypeError('fetch failed: other side closed');
      if (outcome) {
        return new Response(outcome.body === undefined ? '' : JSON.stringify(outcome.body), {
          status: outcome.status,
          headers: { 'content-type': 'application/json', ...outcome.headers },
        });
      }
    }
    return fetch(input, init);
  };
}

/** A phone whose SDK records its waits instead of sleeping them, with the jitter pinned. */
function retryingPhone(
  s: Stack,
  name: string,
  options: { retry?: AuthOptions['retry']; network?: typeof fetch; auth?: Partial<AuthOptions> } = {},
) {
  const waits: number[] = [];
  const events: RetryEvent[] = [];
  const p = phone(s, name, {
    ...(options.network && { wx: { fetch: options.network } }),
    auth: {
      ...options.auth,
      retry:
        options.retry === false
          ? false
          : {
              random: () => 0.5,
              sleep: async (ms) => {
                waits.push(ms);
              },
              ...options.retry,
            },
    },
  });
  p.auth.on('retry', (e) => events.push(e));
  return { ...p, waits, events };
}

/** The wx.login codes the phone got, and the codes it sent to /v1/login, oldest first. */
function codes(p: Phone): { minted: string[]; sent: string[] } {
  return {
    minted: p.wx.log.filter((e) => e.api === 'login' && e.phase === 'ok').map((e) => String(e.detail.code)),
    sent: p.wx.log
      .filter((e) => e.api === 'request' && e.phase === 'call' && String(e.detail.url).endsWith('/v1/login'))
      .map((e) => String((e.detail.data as { code: string }).code)),
  };
}

/**
 * The waits the SDK must have chosen (jitter pinned at 0.5): half of 200, 400, 800… ms, on top of
 * the Retry-After our server sent with its 503, if it sent one; at most maxDelayMs.
 */
function expectedWaits(events: RetryEvent[], maxDelayMs: number = DEFAULT_RETRY.maxDelayMs): number[] {
  return events.map((e) => {
    const jitter = Math.floor(0.5 * Math.min(maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (e.retry - 1)));
    return Math.min(maxDelayMs, (e.error.retryAfterMs ?? 0) + jitter);
  });
}

/** Every code minted was sent once, none twice. */
function assertFreshCodes(p: Phone, attempts: number): void {
  const { minted, sent } = codes(p);
  assert.equal(minted.length, attempts);
  assert.deepEqual(sent, minted);
  assert.equal(new Set(sent).size, attempts, 'a code was sent twice');
}

forEachDialect('mini program SDK: retries', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h);
  });

  /** jscode2session calls WeChat (the emulator) saw while `fn` ran: each code redeemed, or tried. */
  async function redeemed<T>(fn: () => Promise<T>): Promise<{ result: T; redeemed: number }> {
    const before = s.upstreamCalls('jscode2session');
    const result = await fn();
    return { result, redeemed: s.upstreamCalls('jscode2session') - before };
  }

  describe('login', () => {
    it('WeChat busy (-1) or a dropped connection: a fresh wx.login code each attempt, after growing waits', async () => {
      const p = retryingPhone(s, 'rty-ann');
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, fail: 'system-error', count: 2 });
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, fail: 'drop', count: 1 });
      const { result, redeemed: calls } = await redeemed(() => p.auth.login());
      assert.equal(result.isNewUser, true);
      assert.equal(p.auth.isLoggedIn, true);
      assertFreshCodes(p, 4);
      assert.equal(calls, 4, 'WeChat saw each code once: the server does not re-send a code either');
      assert.deepEqual(
        p.events.map((e) => [e.operation, e.retry, e.error.code, e.error.statusCode]),
        [
          ['login', 1, 'WECHAT_UNAVAILABLE', 503],
          ['login', 2, 'WECHAT_UNAVAILABLE', 503],
          ['login', 3, 'WECHAT_UNAVAILABLE', 503],
        ],
      );
      assert.deepEqual(p.waits, expectedWaits(p.events));
      assert.deepEqual(
        p.events.map((e) => e.delayMs),
        p.waits,
      );
    });

    it('gives up after `attempts`, with the last failure; nothing stored', async () => {
      const p = retryingPhone(s, 'rty-ben', { retry: { attempts: 3 } });
      const fault = s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, fail: 'system-error' });
      try {
        const { redeemed: calls } = await redeemed(() =>
          assert.rejects(p.auth.login(), { code: 'WECHAT_UNAVAILABLE', statusCode: 503 }),
        );
        assert.equal(calls, 3);
      } finally {
        s.emulator.control.removeFault(fault.id);
      }
      assertFreshCodes(p, 3);
      assert.equal(p.events.length, 2);
      assert.deepEqual(p.waits, expectedWaits(p.events));
      assert.equal(p.auth.isLoggedIn, false);
    });

    it('the default policy: 5 attempts', async () => {
      const p = retryingPhone(s, 'rty-cat', { retry: {} });
      const fault = s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, fail: 'drop' });
      try {
        await assert.rejects(p.auth.login(), { code: 'WECHAT_UNAVAILABLE' });
      } finally {
        s.emulator.control.removeFault(fault.id);
      }
      assertFreshCodes(p, 5);
      assert.deepEqual(
        p.events.map((e) => e.retry),
        [1, 2, 3, 4],
      );
      assert.deepEqual(p.waits, expectedWaits(p.events));
    });

    it('never retries a client mistake or a refusal (4xx): one code, one exchange', async () => {
      for (const [errcode, code, statusCode] of [
        [40226, 'CODE_BLOCKED', 403],
        [45011, 'WECHAT_RATE_LIMITED', 429],
        [40013, 'WECHAT_CONFIG_ERROR', 502],
      ] as const) {
        const p = retryingPhone(s, `rty-dan-${errcode}`);
        s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, errcode, count: 1 });
        const { redeemed: calls } = await redeemed(() => assert.rejects(p.auth.login(), { code, statusCode }));
        assert.equal(calls, 1, code);
        assertFreshCodes(p, 1);
        assert.deepEqual(p.waits, []);
      }
    });

    it('CODE_USED still gets its one fresh code, beside the retries of a busy WeChat', async () => {
      const p = retryingPhone(s, 'rty-eve');
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, fail: 'system-error', count: 1 });
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, errcode: 40163, count: 1 });
      // -1 decides the first call; 40163 the second (the first rule is spent by then).
      await p.auth.login();
      assertFreshCodes(p, 3);
      // Only the 503 waited: a used code is replaced at once.
      assert.equal(p.events.length, 1);
      assert.deepEqual(p.waits, expectedWaits(p.events));
    });

    it('our server answering 503 (DATABASE_UNAVAILABLE, SHUTTING_DOWN, a proxy): Retry-After is waited', async () => {
      const network = flakyNetwork(s, '/v1/login', [
        { status: 503, body: { code: 'DATABASE_UNAVAILABLE', message: 'db' }, headers: { 'Retry-After': '2' } },
        { status: 503, body: { code: 'SHUTTING_DOWN', message: 'bye' }, headers: { 'Retry-After': '600' } },
        { status: 503 },
      ]);
      const p = retryingPhone(s, 'rty-fay', { network, retry: { maxDelayMs: 5000 } });
      const { redeemed: calls } = await redeemed(() => p.auth.login());
      // A Retry-After of 2 s plus the jitter; 600 s cut to maxDelayMs; a bare 503 like any other.
      assert.deepEqual(p.waits, [2100, 5000, 400]);
      assert.deepEqual(
        p.events.map((e) => [e.error.code, e.error.retryAfterMs]),
        [
          ['DATABASE_UNAVAILABLE', 2000],
          ['SHUTTING_DOWN', 600_000],
          ['HTTP_ERROR', undefined],
        ],
      );
      // Four codes minted; the server (so WeChat) saw only the last, and nothing was answered twice.
      assertFreshCodes(p, 4);
      assert.equal(calls, 1);
    });

    it('no answer at all (NETWORK_ERROR): retried with fresh codes, then the WeChat errMsg', async () => {
      const p = retryingPhone(s, 'rty-gus', { auth: { baseUrl: 'http://127.0.0.1:9' } });
      await assert.rejects(p.auth.login(), (err: AuthError) => {
        assert.equal(err.code, 'NETWORK_ERROR');
        assert.match(err.errMsg ?? '', /^request:fail /);
        return true;
      });
      assertFreshCodes(p, 5);
      assert.deepEqual(
        p.events.map((e) => e.error.code),
        ['NETWORK_ERROR', 'NETWORK_ERROR', 'NETWORK_ERROR', 'NETWORK_ERROR'],
      );
    });

    it('retry: false sends one code', async () => {
      const p = retryingPhone(s, 'rty-hal', { retry: false });
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, fail: 'system-error', count: 1 });
      await assert.rejects(p.auth.login(), { code: 'WECHAT_UNAVAILABLE' });
      assertFreshCodes(p, 1);
    });

    it('a sign-up with a phone code survives a busy WeChat: the phone code is only spent once the login code is', async () => {
      const p = retryingPhone(s, 'rty-ida');
      const e = await p.wx.buttons.getPhoneNumber();
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, fail: 'system-error', count: 1 });
      const before = s.upstreamCalls('getuserphonenumber');
      const result = await p.auth.login({ phoneCode: e.detail.code });
      assert.equal(result.user.phoneNumber, s.emulator.control.user('rty-ida').profile.purePhoneNumber);
      assert.equal(s.upstreamCalls('getuserphonenumber') - before, 1);
      assertFreshCodes(p, 2);
    });

    it('callers arriving during the waits share the one login', async () => {
      const p = retryingPhone(s, 'rty-jon');
      s.emulator.control.addFault({ api: 'jscode2session', appid: APPID, fail: 'system-error', count: 2 });
      const results = await Promise.all([p.auth.login(), p.auth.login(), p.auth.me()]);
      assert.equal(new Set(results.map((r) => ('user' in r ? r.user.id : r.id))).size, 1);
      assertFreshCodes(p, 3);
    });
  });

  describe('request', () => {
    const unavailable: Outcome = {
      status: 503,
      body: { code: 'DATABASE_UNAVAILABLE', message: 'db' },
      headers: { 'retry-after': '1' },
    };

    it('a GET answered 503 is sent once more after Retry-After; a second 503 is the answer', async () => {
      const script: Outcome[] = [unavailable];
      const p = retryingPhone(s, 'rty-kim', { network: flakyNetwork(s, '/v1/me', script) });
      await p.auth.login();
      const me = await p.auth.me();
      assert.equal(me.id, p.auth.user?.id);
      assert.equal(p.calls('request', '/v1/me'), 2);
      assert.deepEqual(p.waits, [1100]);
      assert.deepEqual(
        p.events.map((e) => [e.operation, e.retry, e.error.code]),
        [['request', 1, 'DATABASE_UNAVAILABLE']],
      );

      script.push(unavailable, unavailable, unavailable);
      await assert.rejects(p.auth.request({ url: '/v1/me' }), {
        code: 'DATABASE_UNAVAILABLE',
        statusCode: 503,
        retryAfterMs: 1000,
      });
      assert.equal(p.calls('request', '/v1/me'), 4, 'one retry per request, not more');
    });

    it('a dropped connection on a GET is retried once; without an answer twice, NETWORK_ERROR', async () => {
      const script: Outcome[] = ['drop'];
      const p = retryingPhone(s, 'rty-lea', { network: flakyNetwork(s, '/v1/me', script) });
      await p.auth.login();
      await p.auth.me();
      assert.equal(p.calls('request', '/v1/me'), 2);
      script.push('drop', 'drop');
      await assert.rejects(p.auth.me(), { code: 'NETWORK_ERROR' });
      assert.equal(p.calls('request', '/v1/me'), 4);
      assert.deepEqual(p.waits, [100, 100]);
    });

    it('POST and PATCH are not sent twice unless the caller says so; 4xx never', async () => {
      const script: Outcome[] = [unavailable];
      const p = retryingPhone(s, 'rty-max', { network: flakyNetwork(s, '/v1/me', script) });
      await p.auth.login();
      await assert.rejects(p.auth.request({ url: '/v1/me', method: 'POST', data: { nickname: 'Max' } }), {
        code: 'DATABASE_UNAVAILABLE',
      });
      assert.equal(p.calls('request', '/v1/me'), 1);

      script.push('drop');
      const res = await p.auth.request({ url: '/v1/me', method: 'POST', data: { nickname: 'Max' }, retry: true });
      assert.equal(res.statusCode, 200);
      assert.equal(p.calls('request', '/v1/me'), 3);

      script.push(unavailable);
      await assert.rejects(p.auth.request({ url: '/v1/me', retry: false }), { code: 'DATABASE_UNAVAILABLE' });
      assert.equal(p.calls('request', '/v1/me'), 4);

      await assert.rejects(p.auth.request({ url: '/v1/nowhere' }), { code: 'NOT_FOUND' });
      assert.equal(p.calls('request', '/v1/nowhere'), 1);
      assert.equal(p.events.length, 1);
    });

    it('auth: false requests are retried the same way', async () => {
      const script: Outcome[] = [{ status: 503 }];
      const p = retryingPhone(s, 'rty-ned', { network: flakyNetwork(s, '/healthz', script) });
      const res = await p.auth.request({ url: '/healthz', auth: false });
      assert.equal(res.statusCode, 200);
      assert.equal(p.calls('request', '/healthz'), 2);
      assert.equal(p.calls('login'), 0);
    });
  });
});
