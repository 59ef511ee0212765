import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startEmulator } from '../../src/emulator/start.ts';
import { forEachDialect, TEST_DATABASE_URL, TEST_SECRET_KEY } from '../helpers/databases.ts';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { APPID, SECRET } from '../server/stack.ts';
import { call, measure, serveEnv, untilOk } from './http.ts';

/**
 * Issue 9, measured on the first release: a lost PostgreSQL connection ended the process (4 of 4
 * runs), a partition hung requests for 46 s and SIGTERM for 115 s. Here `weapp-auth serve` runs as
 * a child process whose database connections pass through a proxy the test controls.
 */
forEachDialect(
  'PostgreSQL faults against weapp-auth serve',
  (h) => {
    let serve: ServeProcess;
    let proxy: TcpProxy;
    let accessToken = '';
    const appName = `wa_chaos_${process.pid}`;
    const emulator = startEmulator({ apps: [{ appid: APPID, secret: SECRET }], logger: false });

    before(async () => {
      const { schema } = await h.freshDatabase();
      const target = new URL(TEST_DATABASE_URL);
      proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
      const url = new URL(TEST_DATABASE_URL);
      url.host = `127.0.0.1:${proxy.port}`;
      url.searchParams.set('options', `-c search_path=${schema}`);
      url.searchParams.set('application_name', appName);
      serve = await startServeProcess(serveEnv((await emulator).url, { DATABASE_URL: url.toString() }));
      const { code } = (await emulator).control.login(APPID, 'chaos-pg');
      const login = await call(serve.url, 'POST', '/v1/login', { code });
      assert.equal(login.status, 200, login.text);
      accessToken = login.body.accessToken;
    });

    after(async () => {
      await serve?.stop();
      await proxy?.close();
      await (await emulator).close();
    });

    const me = () => call(serve.url, 'GET', '/v1/me', undefined, accessToken);
    const login = async () => {
      const { code } = (await emulator).control.login(APPID, `chaos-pg-${Math.random()}`);
      return call(serve.url, 'POST', '/v1/login', { code });
    };

    it('PostgreSQL ends every connection (pg_terminate_backend): the process lives, the next request works', async (t) => {
      assert.equal((await me()).status, 200);
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        const { rowCount } = await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
          [appName],
        );
        t.diagnostic(`terminated ${rowCount} server connections`);
        assert.ok((rowCount ?? 0) > 0, 'the server held connections to terminate');
      } finally {
        await admin.end();
      }
      // "terminating connection due to administrator command" reaches the idle clients, which
      // the server reports (once per outage) instead of dying of it.
      for (let i = 0; i < 600 && !/database connection error/.test(serve.output().stdout); i++) await sleep(50);
      assert.match(serve.output().stdout, /database connection error/);
      assert.equal(serve.exitStatus(), undefined, `the process exited:\n${serve.output().stderr}`);
      const answers = await Promise.all([me(), me(), login()]);
      for (const a of answers) assert.equal(a.status, 200, a.text);
    });

    it('the database cut (connections reset, new ones refused): fast 503s, then service resumes by itself', async (t) => {
      proxy.setMode('close');
      const cut = await measure(() => Promise.all([me(), login(), me()]));
      for (const a of cut.value) {
        assert.equal(a.status, 503, a.text);
        assert.equal(a.body.code, 'DATABASE_UNAVAILABLE');
        assert.equal(a.headers.get('retry-after'), '2');
      }
      const ready = await call(serve.url, 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { status: 'unavailable', checks: { database: 'down', cache: 'not configured' } });
      assert.equal(serve.exitStatus(), undefined);
      proxy.setMode('pass');
      const back = await measure(() => untilOk(me));
      assert.equal((await login()).status, 200);
      assert.equal((await call(serve.url, 'GET', '/readyz')).status, 200);
      t.diagnostic(`cut: 503 after ${cut.ms} ms; full service ${back.ms} ms after the database returned`);
    });

    it('a partition (packets held): 503 within the database timeout, /readyz answers, then recovery', async (t) => {
      proxy.setMode('hold');
      const held = await measure(() => login());
      assert.equal(held.value.status, 503, held.value.text);
      assert.equal(held.value.body.code, 'DATABASE_UNAVAILABLE');
      // GET /v1/me may still be answered from the session kept in process while the invalidation
      // bus vouches for its feed (its LISTEN connection is held, not reset, so the bus notices by its
      // heartbeat bound, RELIABILITY.md "Revocation"); once it has, the request needs the database.
      let refused: Awaited<ReturnType<typeof me>> | undefined;
      for (let i = 0; i < 300 && !refused; i++) {
        const a = await me();
        if (a.status === 503) refused = a;
        else {
          assert.equal(a.status, 200, a.text);
          await sleep(100);
        }
      }
      assert.equal(refused?.body.code, 'DATABASE_UNAVAILABLE');
      const ready = await measure(() => call(serve.url, 'GET', '/readyz'));
      assert.equal(ready.value.status, 503);
      assert.equal(ready.value.body.checks.database, 'down');
      assert.equal(serve.exitStatus(), undefined);
      proxy.setMode('pass');
      const back = await measure(() => untilOk(me));
      assert.equal((await login()).status, 200);
      t.diagnostic(
        `partition: 503 after ${held.ms} ms, /readyz 503 after ${ready.ms} ms; full service ${back.ms} ms after it healed`,
      );
    });

    it('SIGTERM during a partition: the process exits within SHUTDOWN_TIMEOUT_MS', async (t) => {
      proxy.setMode('hold');
      const inFlight = me();
      await sleep(100);
      const signalled = Date.now();
      serve.kill('SIGTERM');
      const code = await serve.exited;
      const ms = Date.now() - signalled;
      t.diagnostic(`SIGTERM during a partition: exited ${code} after ${ms} ms`);
      assert.ok(code === 0 || code === 1, `exit code ${code}`);
      // The request in flight got an answer or a closed connection, never a hang.
      await inFlight.catch(() => undefined);
      proxy.setMode('pass');
    });
  },
  { only: ['postgres'] },
);

it('serve with a database it cannot reach exits 2 with one line naming DATABASE_URL', async () => {
  const closed = await TcpProxy.start('127.0.0.1', 9);
  closed.setMode('close');
  try {
    const failed = await startServeProcess({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed.port}/test`,
      WEAPP_APPS: `${APPID}:${SECRET}`,
      WEAPP_SECRET_KEY: TEST_SECRET_KEY,
    }).then(
      () => assert.fail('serve started without its database'),
      (err: Error) => err.message,
    );
    assert.match(failed, /serve exited with 2 before answering/);
    assert.match(failed, /Cannot open the database \(DATABASE_URL\): .+\. Check that it runs/);
    assert.doesNotMatch(failed, /\n\s+at /, 'no stack trace');
  } finally {
    await closed.close();
  }
});
