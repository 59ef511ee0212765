import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pbkdf2 } from 'node:crypto';
import { type EventEmitter, once } from 'node:events';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import pino from 'pino';
import { logDestination, loggerOptions, skipRedactingPrimitives } from '../../src/server/logger.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { startStack } from './stack.ts';

/**
 * What every request leaves behind — its one log line, its count in /metrics — now that both are
 * written without Fastify hooks and pino's redaction skips strings and numbers (issue 11).
 */

/** A pino logger with the server's options into an array; no time, pid or host, so lines compare. */
function capture(skipping: boolean) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = pino({ ...loggerOptions('info'), timestamp: false, base: null }, stream);
  return { log: skipping ? skipRedactingPrimitives(log) : log, lines };
}

/** One error for both loggers: its stack names where it was made. */
const ERROR = Object.assign(new Error('boom'), { sessionKey: 'SECRET-SK-3' });

/** Lines of every shape the redaction paths name, and of the shapes they do not. */
function writeSamples(log: pino.Logger): void {
  log
    .child({ reqId: 'req-1' })
    .info({ method: 'GET', url: '/v1/me', status: 200, ms: 0.3, ip: '127.0.0.1' }, 'request completed');
  log.info({ identity: { openid: 'o-1', sessionKey: 'SECRET-SK-1', session_key: 'SECRET-SK-2' } }, 'nested');
  const headers = { authorization: 'Bearer SECRET-AT-1', cookie: 'SECRET-C' };
  log.info({ req: { method: 'GET', url: '/wx/login?code=SECRET-CODE-0', ip: '::1', headers } }, 'req');
  log.info({ headers: { authorization: 'Bearer SECRET-AT-2', host: 'h' } }, 'headers');
  log.info({ body: { code: 'SECRET-CODE-1', phoneCode: 'SECRET-PC-1' }, query: { code: 'SECRET-CODE-2' } }, 'b');
  log.info({ request: { body: { code: 'SECRET-CODE-3', phoneCode: 'SECRET-PC-2' }, query: { code: 'SECRET-C4' } } });
  log.info({
    phoneCode: 'SECRET-PC-3',
    js_code: 'SECRET-JS-1',
    wechat: { js_code: 'SECRET-JS-2', secret: 'SECRET-S' },
  });
  log.info({ tokens: { accessToken: 'SECRET-AT-3', refreshToken: 'SECRET-RT', access_token: 'SECRET-AT-4' } });
  log.info({ user: { phoneNumber: 'SECRET-PHONE' }, n: null, yes: true, count: 10, text: 'a "quoted"\nline' });
  log.info({ list: ['a', { secret: 'listed' }], err: { code: 'ECONNRESET', message: 'socket hang up' } }, 'mixed');
  log.error({ err: ERROR }, 'an error');
  log.child({ reqId: 'req-2', user: { sessionKey: 'SECRET-SK-4' } }).warn({ status: 503 }, 'bindings');
}

/** The stringifier pino gives values without a redaction path of their own. */
function wildcardStringifier(log: unknown): unknown {
  const { stringifiersSym, wildcardFirstSym } = pino.symbols;
  return (log as Record<symbol, Record<symbol, unknown> | undefined>)[stringifiersSym]?.[wildcardFirstSym];
}

describe('skipRedactingPrimitives', () => {
  it('writes exactly the lines pino writes with the same redaction, secrets censored', () => {
    const plain = capture(false);
    const skipping = capture(true);
    // Applied: a pino that no longer looks as expected would leave the logger as it is (slower).
    assert.notEqual(wildcardStringifier(skipping.log), wildcardStringifier(plain.log));
    writeSamples(plain.log);
    writeSamples(skipping.log);
    assert.deepEqual(skipping.lines, plain.lines);
    const all = skipping.lines.join('');
    assert.doesNotMatch(all, /SECRET/, all);
    assert.match(all, /"sessionKey":"\[redacted\]"/);
    // Primitives are written as before, escapes included.
    assert.ok(skipping.lines[0]?.startsWith('{"level":30,"reqId":"req-1","method":"GET","url":"/v1/me","status":200'));
    assert.match(all, /"text":"a \\"quoted\\"\\nline"/);
  });

  it('is applied once, and leaves what is not a pino logger alone', () => {
    const { log } = capture(true);
    const before = wildcardStringifier(log);
    skipRedactingPrimitives(log);
    assert.equal(wildcardStringifier(log), before);
    const other = { info() {} };
    assert.equal(skipRedactingPrimitives(other), other);
  });
});

describe('logDestination', () => {
  it('writes every line whole and in order, multi-byte text included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-log-'));
    try {
      const fd = openSync(join(dir, 'log'), 'w');
      const destination = logDestination(fd);
      const log = pino({ ...loggerOptions('info'), base: null, timestamp: false }, destination);
      // Bursts of lines in one turn, as a server under load writes them while a write is in flight.
      for (let turn = 0; turn < 20; turn++) {
        for (let i = 0; i < 100; i++) log.info({ n: turn * 100 + i, nickname: '微信用户😀' }, 'line');
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Lines of the turn that ends the stream are not yet handed over: end() writes them too,
      // and whatever else is pending, then closes the file.
      for (let n = 2000; n < 2010; n++) log.info({ n, nickname: '微信用户😀' }, 'line');
      const closed = once(destination as unknown as EventEmitter, 'close');
      (destination as unknown as { end(): void }).end();
      await closed;
      const lines = readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean);
      assert.equal(lines.length, 2010);
      for (const [n, line] of lines.entries()) {
        assert.deepEqual(JSON.parse(line), { level: 30, n, nickname: '微信用户😀', msg: 'line' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands over the lines of this turn on flushSync, before the turn ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-log-'));
    try {
      const destination = logDestination(openSync(join(dir, 'log'), 'w'));
      const log = pino({ base: null, timestamp: false }, destination);
      // Every thread of libuv's pool busy: a write handed to the pool cannot finish before the
      // read below, so the lines are in the file only if flushSync wrote them itself — as at exit,
      // where a write left to the pool is lost.
      const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
      const busy = Array.from({ length: threads }, () => promisify(pbkdf2)('x', 'y', 300_000, 64, 'sha512'));
      log.info({ n: 1 }, 'first');
      log.info({ n: 2 }, 'second');
      (destination as unknown as { flushSync(): void }).flushSync();
      const lines = readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean);
      await Promise.all(busy);
      assert.deepEqual(
        lines.map((line) => JSON.parse(line).n),
        [1, 2],
      );
      const closed = once(destination as unknown as EventEmitter, 'close');
      (destination as unknown as { end(): void }).end();
      await closed;
      // A line after the end has nowhere to go, and must not end the process when its turn ends.
      log.info({ n: 3 }, 'too late');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flushes what is pending when the process exits', () => {
    const script = [
      `import pino from 'pino';`,
      `import { logDestination } from ${JSON.stringify(new URL('../../src/server/logger.ts', import.meta.url).href)};`,
      `const log = pino({ base: null, timestamp: false }, logDestination());`,
      `for (let n = 0; n < 5000; n++) log.info({ n }, '日志');`,
      `process.exit(0);`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
    });
    const lines = out.split('\n').filter(Boolean);
    assert.equal(lines.length, 5000);
    assert.deepEqual(JSON.parse(lines[4999] ?? ''), { level: 30, n: 4999, msg: '日志' });
  });
});

forEachDialect(
  'request accounting',
  (h) => {
    it('logs one line per request and counts it in /metrics, by route, method and status', async () => {
      const s = await startStack(h);
      const { body: login } = await s.login('accounting-user');
      const token = login.accessToken as string;
      for (let i = 0; i < 3; i++) assert.equal((await s.call('GET', '/v1/me', { token })).status, 200);
      assert.equal((await s.call('GET', '/v1/me')).status, 401);
      assert.equal((await s.call('GET', '/no/such/route?code=SECRET-IN-QUERY')).status, 404);

      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      const count = (labels: Record<string, string>) => {
        const line = metrics
          .split('\n')
          .find(
            (l) =>
              l.startsWith('weapp_auth_http_requests_total{') &&
              Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
          );
        return line === undefined ? 0 : Number(line.split(' ').at(-1));
      };
      assert.equal(count({ route: '/v1/me', method: 'GET', status: '200' }), 3);
      assert.equal(count({ route: '/v1/me', method: 'GET', status: '401' }), 1);
      assert.equal(count({ route: '/v1/login', method: 'POST', status: '200' }), 1);
      assert.equal(count({ route: 'unmatched', method: 'GET', status: '404' }), 1);

      // Counted when read, again: nothing is counted twice, later requests are added.
      assert.equal((await s.call('GET', '/v1/me', { token })).status, 200);
      const again = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(again, /weapp_auth_http_requests_total\{[^}]*route="\/v1\/me"[^}]*status="200"[^}]*\} 4\n/);

      const lines = s.logs
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const me = lines.filter((l) => l.msg === 'request completed' && l.url === '/v1/me');
      assert.equal(me.length, 5, 'one line per request');
      const reqIds = new Set(me.map((l) => l.reqId));
      assert.equal(reqIds.size, 5);
      for (const line of me) {
        assert.equal(line.level, 30);
        assert.equal(line.method, 'GET');
        assert.ok(line.status === 200 || line.status === 401);
        assert.equal(typeof line.ms, 'number');
        assert.equal(line.ip, '127.0.0.1');
        assert.equal(typeof line.time, 'number');
      }
      const miss = lines.find((l) => l.msg === 'request completed' && l.status === 404);
      assert.equal(miss?.url, '/no/such/route?[redacted]');
      const all = s.logs.join('');
      assert.ok(!all.includes(token), 'the access token reached the logs');
      assert.ok(!all.includes('SECRET-IN-QUERY'), 'a query string reached the logs');
      await s.close();
    });

    it('answers GET /v1/me with the user as changed, request after request', async () => {
      const s = await startStack(h);
      const { body: login } = await s.login('view-user');
      const token = login.accessToken as string;
      const first = await s.call('GET', '/v1/me', { token });
      const second = await s.call('GET', '/v1/me', { token });
      assert.equal(second.text, first.text);
      assert.deepEqual(first.body.next, ['profile_incomplete', 'phone_missing']);
      assert.equal(first.body.user.nickname, null);
      assert.equal(first.body.user.phoneNumber, null);
      assert.equal(typeof first.body.user.createdAt, 'string');
      assert.equal(new Date(first.body.user.createdAt).toISOString(), first.body.user.createdAt);
      assert.equal((await s.call('PATCH', '/v1/me', { token, body: { nickname: 'Changed' } })).status, 200);
      const after = await s.call('GET', '/v1/me', { token });
      assert.equal(after.body.user.nickname, 'Changed');
      assert.equal(after.body.user.id, first.body.user.id);
      await s.close();
    });
  },
  { only: ['sqlite'] },
);
