import assert from 'node:assert/strict';
import { request } from 'node:http';
import { before, describe, it } from 'node:test';
import { type DialectHarness, forEachDialect } from '../helpers/databases.ts';
import { nginxProblem, startNginx } from '../helpers/nginx.ts';
import { APPID, startStack } from '../server/stack.ts';

const inCI = Boolean(process.env.CI);
/** Loopback addresses the clients connect from; nginx connects to the server from 127.0.0.1. */
const ALICE = '127.0.0.2';
const BOB = '127.0.0.3';
const LIMIT = 3;

/**
 * Issue 9: with TRUST_PROXY=true behind one nginx, a client already rate-limited got 30 of 30 more
 * logins through by sending its own X-Forwarded-For. Here a real nginx stands in front of the
 * server, appending the address it received from as the README tells operators to.
 */
describe('behind a real nginx', {
  skip: nginxProblem !== undefined && !inCI ? `${nginxProblem}; skipped` : false,
}, () => {
  before(() => {
    if (nginxProblem) throw new Error(`${nginxProblem} — CI is set, so this fails instead of skipping`);
  });

  forEachDialect(
    'client IP and rate limits',
    (h) => {
      it('TRUST_PROXY=1: a client forging X-Forwarded-For is still limited, as itself', async () => {
        const s = await behindNginx(h, '1');
        await s.useUpLimit(ALICE);
        assert.deepEqual(await s.forgedAttempts(ALICE), { through: 0, limited: FORGED.length });
        // Another client behind the same proxy has a bucket of its own.
        assert.equal((await s.login(BOB)).status, 200);
        assert.deepEqual(s.seenAddresses(), [ALICE, BOB]);
        // The limit of a hop count: a client reaching the server's port directly is taken for a
        // proxy, and its header believed. The README says to keep that port private.
        assert.equal((await s.login(ALICE, '203.0.113.99', 'direct')).status, 200);
        assert.ok(s.seenAddresses().includes('203.0.113.99'));
      });

      it('TRUST_PROXY=127.0.0.1/32: a client forging X-Forwarded-For is still limited, as itself', async () => {
        const s = await behindNginx(h, '127.0.0.1/32');
        await s.useUpLimit(ALICE);
        assert.deepEqual(await s.forgedAttempts(ALICE), { through: 0, limited: FORGED.length });
        assert.equal((await s.login(BOB)).status, 200);
        // Addresses also hold when the server's port is reached directly: ALICE is no proxy.
        assert.equal((await s.login(ALICE, '203.0.113.99', 'direct')).status, 429);
        assert.deepEqual(s.seenAddresses(), [ALICE, BOB]);
      });

      it('TRUST_PROXY unset: every client behind the proxy is the proxy, sharing one limit', async () => {
        const s = await behindNginx(h, undefined);
        await s.useUpLimit(ALICE);
        assert.deepEqual(await s.forgedAttempts(ALICE), { through: 0, limited: FORGED.length });
        const bob = await s.login(BOB);
        assert.equal(bob.status, 429);
        assert.equal(bob.body.code, 'RATE_LIMITED');
        assert.deepEqual(s.seenAddresses(), ['127.0.0.1']);
      });

      it('trusting the range the clients come from is the bug again: forged addresses escape the limit', async () => {
        // loopback = 127.0.0.0/8 holds nginx and the clients alike.
        const s = await behindNginx(h, 'loopback');
        await s.useUpLimit(ALICE);
        assert.deepEqual(await s.forgedAttempts(ALICE), { through: FORGED.length, limited: 0 });
        assert.ok(s.seenAddresses().includes(FORGED[0] ?? ''));
      });
    },
    { only: ['sqlite'] },
  );
});

/** X-Forwarded-For values a client writes itself: other addresses, another client's, chains. */
const FORGED = ['203.0.113.7', '203.0.113.8', BOB, '198.51.100.1, 198.51.100.2', '10.0.0.1', '::1'];

async function behindNginx(h: DialectHarness, trustProxy: string | undefined) {
  const stack = await startStack(h, {
    env: { LOGIN_RATE_LIMIT: String(LIMIT), ...(trustProxy !== undefined && { TRUST_PROXY: trustProxy }) },
  });
  const nginx = h.track(await startNginx(Number(new URL(stack.url).port)));
  let users = 0;

  /** A real login from `from` (a local address), through nginx or straight to the server. */
  async function login(from: string, forged?: string, via: 'nginx' | 'direct' = 'nginx') {
    const { code } = stack.emulator.control.login(APPID, `user-${++users}`);
    return post(`${via === 'nginx' ? nginx.url : stack.url}/v1/login`, from, { code, appid: APPID }, forged);
  }

  return {
    login,
    async useUpLimit(from: string) {
      for (let i = 0; i < LIMIT; i++) {
        const res = await login(from);
        assert.equal(res.status, 200, `${res.status} ${JSON.stringify(res.body)} ${nginx.output()}`);
      }
      assert.equal((await login(from)).status, 429);
    },
    async forgedAttempts(from: string) {
      const outcome = { through: 0, limited: 0 };
      for (const forged of FORGED) {
        const res = await login(from, forged);
        if (res.status === 200) outcome.through++;
        else if (res.status === 429) outcome.limited++;
        else assert.fail(`${res.status} ${JSON.stringify(res.body)}`);
      }
      return outcome;
    },
    /** request.ip of every login the server logged, as `remoteAddress`, in order of first sight. */
    seenAddresses(): string[] {
      const seen = new Set<string>();
      for (const line of stack.logs.join('').split('\n')) {
        // The one request line (src/server/logger.ts): url and the client address as `ip`.
        if (!line.includes('"request completed"')) continue;
        const { url, ip } = JSON.parse(line) as { url?: string; ip?: string };
        if (url === '/v1/login' && ip) seen.add(ip);
      }
      return [...seen];
    },
  };
}

/** POST JSON from a chosen local address (fetch cannot pick one), with an X-Forwarded-For of the client's own. */
function post(
  url: string,
  localAddress: string,
  body: unknown,
  forwardedFor?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(forwardedFor !== undefined && { 'x-forwarded-for': forwardedFor }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
