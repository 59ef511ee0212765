import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { startEmulator } from '../../src/emulator/start.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { describeRedis } from '../helpers/redis.ts';
import { IMAGES, uploadRaw } from './images.ts';
import { APPID, APPID2, SECRET, SECRET2, type Stack, startStack } from './stack.ts';

/** Production shape: several identical instances on one database and one Redis. */
describeRedis('several instances', (redis) => {
  forEachDialect('sharing a database', (h) => {
    let a: Stack;
    let b: Stack;
    // One namespace per dialect run: the Redis server is shared by both.
    const prefix = `${redis.prefix}${h.dialect}:`;
    before(async () => {
      const emulator = h.track(
        await startEmulator({
          apps: [
            { appid: APPID, secret: SECRET },
            { appid: APPID2, secret: SECRET2 },
          ],
          sessionKeyRotation: 'always',
          logger: false,
        }),
      );
      const env = { REDIS_URL: redis.url, LOGIN_RATE_LIMIT: '1000' };
      a = await startStack(h, { emulator, env, cachePrefix: prefix });
      b = await startStack(h, { emulator, env, cachePrefix: prefix, database: a.database });
    });

    it('shares one code exchange between instances receiving the same code', async () => {
      const before = a.upstreamCalls('jscode2session');
      const { code } = a.emulator.control.login(APPID, 'xena');
      const [ra, rb] = await Promise.all([
        a.call('POST', '/v1/login', { body: { code } }),
        b.call('POST', '/v1/login', { body: { code } }),
      ]);
      assert.equal(ra.status, 200, ra.text);
      assert.equal(rb.status, 200, rb.text);
      assert.equal(ra.body.user.id, rb.body.user.id);
      assert.equal(a.upstreamCalls('jscode2session') - before, 1);
      // Sent again after the exchange finished, it is a reuse.
      const again = await b.call('POST', '/v1/login', { body: { code } });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'CODE_USED');
    });

    it('fetches one WeChat access token for all instances', async () => {
      const before = a.upstreamCalls('stable_token', APPID2);
      const tokens = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).ctx.accessTokens.getAccessToken(APPID2)),
      );
      assert.equal(new Set(tokens).size, 1);
      assert.equal(a.upstreamCalls('stable_token', APPID2) - before, 1);
    });

    it('a session started on one instance refreshes and logs out on the other', async () => {
      const login = await a.login('yuri');
      const refreshed = await b.call('POST', '/v1/token/refresh', { body: { refreshToken: login.body.refreshToken } });
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal((await b.call('POST', '/v1/logout', { token: refreshed.body.accessToken })).status, 200);
      assert.equal((await a.call('GET', '/v1/me', { token: refreshed.body.accessToken })).body.code, 'SESSION_REVOKED');
    });

    it("WeChat's avatar verdict, pushed to one instance, shows at once on the other", async () => {
      const token = 'instancesPushToken1';
      const aesKey = 'Zyxwvutsrqponmlkjihgfedcba9876543210ABCDEFG';
      const env = {
        REDIS_URL: redis.url,
        LOGIN_RATE_LIMIT: '1000',
        WEAPP_PUSH: `${APPID}:${token}:${aesKey}`,
        CONTENT_CHECK: 'on',
      };
      const pushed = await startStack(h, { emulator: a.emulator, env, cachePrefix: prefix, database: a.database });
      const other = await startStack(h, { emulator: a.emulator, env, cachePrefix: prefix, database: a.database });
      const push = a.emulator.control.push;
      push.configure(APPID, { url: `${pushed.url}/wechat/push/${APPID}`, token, encodingAESKey: aesKey, mode: 'safe' });
      // Verdicts wait for the test; the avatar's PUBLIC_URL names no port the emulator could fetch.
      push.setMediaCheckPolicy({ delayMs: null, download: false });
      const login = await pushed.login('avatar-verdict');
      const accessToken = login.body.accessToken as string;
      const upload = await uploadRaw(pushed, IMAGES.png, { token: accessToken, type: 'image/png' });
      assert.equal(upload.status, 200, upload.text);
      const check = push.mediaChecks().find((c) => c.mediaUrl === upload.body.user.avatarUrl);
      assert.ok(check);
      // Both instances now keep the user, avatar under review, in process.
      for (const s of [pushed, other, other]) {
        const me = await s.call('GET', '/v1/me', { token: accessToken });
        assert.deepEqual([me.body.user.avatarUrl, me.body.user.avatarUnderReview], [upload.body.user.avatarUrl, true]);
      }
      const decided = await push.decideMediaCheck(check.traceId, { verdict: 'risky' });
      assert.equal((await push.settled(decided.deliveryId ?? 0)).status, 'delivered');
      for (const s of [other, pushed]) {
        const me = await s.call('GET', '/v1/me', { token: accessToken });
        assert.deepEqual([me.body.user.avatarUrl, me.body.user.avatarUnderReview], [null, false], s.url);
      }
    });

    it('counts the login rate limit across instances', async () => {
      const env = { REDIS_URL: redis.url, LOGIN_RATE_LIMIT: '4' };
      const rl = `${prefix}rl:`;
      const c = await startStack(h, { emulator: a.emulator, env, cachePrefix: rl, database: a.database });
      const d = await startStack(h, { emulator: a.emulator, env, cachePrefix: rl, database: a.database });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await (i % 2 ? c : d).login(`z${i}`)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    });
  });
});
