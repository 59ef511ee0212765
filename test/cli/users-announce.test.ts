import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator } from '../../src/emulator/start.ts';
import { openStore, type Store, updateUserProfile } from '../../src/store/index.ts';
import { call, serveEnv } from '../chaos/http.ts';
import { forEachDialect, TEST_DATABASE_URL, TEST_SECRET_KEY } from '../helpers/databases.ts';
import { bin } from '../helpers/dev-process.ts';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { APPID, SECRET } from '../server/stack.ts';

/**
 * A running server keeps a session's user in process for up to 30 s (src/tokens/live-sessions.ts).
 * What an operator changes from the command line must reach it at once: on PostgreSQL by the
 * announcement the command publishes, on SQLite by the file telling the server it changed.
 */
forEachDialect('operator commands reach a running server at once', (h) => {
  const emulator = startEmulator({ apps: [{ appid: APPID, secret: SECRET }], logger: false });
  let serve: ServeProcess;
  let store: Store;
  let env: Record<string, string>;

  before(async () => {
    const database = await h.freshDatabase();
    let url = database.url;
    if (database.schema !== undefined) {
      // The schema as a deployment names it: the search_path in the URL, for server and command alike.
      const target = new URL(TEST_DATABASE_URL);
      target.searchParams.set('options', `-c search_path=${database.schema}`);
      url = target.toString();
    }
    env = serveEnv((await emulator).url, { DATABASE_URL: url });
    serve = await startServeProcess(env);
    store = await openStore({ url: database.url, schema: database.schema, secretKey: TEST_SECRET_KEY });
  });
  after(async () => {
    await serve?.stop();
    await store?.close();
    await (await emulator).close();
  });

  const login = async () => {
    const { code } = (await emulator).control.login(APPID, 'operator-announce');
    const answer = await call(serve.url, 'POST', '/v1/login', { code });
    assert.equal(answer.status, 200, answer.text);
    return answer.body as { accessToken: string; user: { id: string } };
  };
  const underReview = async (token: string) => {
    const me = await call(serve.url, 'GET', '/v1/me', undefined, token);
    assert.equal(me.status, 200, me.text);
    return (me.body as { user: { avatarUnderReview: boolean } }).user.avatarUnderReview;
  };

  it('users unflag: the next GET /v1/me shows the avatar out of review', async () => {
    const { user } = await login();
    await updateUserProfile(store.db, user.id, { avatarReview: 'review' });
    // A session begun after the flag: its first read finds it, the second is served from memory.
    const { accessToken } = await login();
    assert.equal(await underReview(accessToken), true);
    assert.equal(await underReview(accessToken), true);
    const cachedAt = Date.now();

    const unflag = spawnSync(process.execPath, [bin, 'users', 'unflag', user.id], { env, encoding: 'utf8' });
    assert.equal(unflag.status, 0, unflag.stderr);
    assert.match(unflag.stdout, /cleared avatar:review/);
    // The announcement reaches the server on its own connection (NOTIFY) a moment after the command
    // published it: wait for it, but not for the cache's own bound (30 s), which would hide its absence.
    let shown = await underReview(accessToken);
    while (shown && Date.now() - cachedAt < 25_000) {
      await sleep(50);
      shown = await underReview(accessToken);
    }
    assert.equal(shown, false, 'the server still showed the flag from its cache');
  });
});
