import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/start.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { describeRedis } from '../helpers/redis.ts';
import { RedisProcess, redisServerProblem } from '../helpers/redis-process.ts';
import { claimsOf, openEvents, QR_ENV, WEB_ORIGIN } from './qr-login-helpers.ts';
import { APPID, SECRET, type Stack, startStack } from './stack.ts';

const inCI = Boolean(process.env.CI);

/**
 * Production's shape: four identical instances on one PostgreSQL and one Redis, each with its own
 * connections and its own event subscription. The ticket is created on the first, scanned on the
 * second, confirmed on the third, while the browser's event stream is held by the fourth.
 */
describeRedis('scan to log in across instances', (redis) => {
  forEachDialect(
    'four instances',
    (h) => {
      let stacks: Stack[];
      before(async () => {
        const emulator = h.track(
          await startEmulator({
            apps: [{ appid: APPID, secret: SECRET }],
            sessionKeyRotation: 'always',
            logger: false,
          }),
        );
        const env = { ...QR_ENV, REDIS_URL: redis.url };
        const first = await startStack(h, { emulator, env, cachePrefix: redis.prefix });
        stacks = [first];
        for (let i = 1; i < 4; i++) {
          stacks.push(await startStack(h, { emulator, env, cachePrefix: redis.prefix, database: first.database }));
        }
      });

      it('create on 1, stream on 4, scan on 2, confirm on 3: the stream sees each step and gets the tokens once', async () => {
        const [one, two, three, four] = stacks as [Stack, Stack, Stack, Stack];
        const user = await two.login('multi-ann');
        const created = await one.call('POST', '/v1/qr-login', {
          body: { clientId: 'admin' },
          headers: { origin: WEB_ORIGIN },
        });
        assert.equal(created.status, 200, created.text);
        const { id, secret, qrcode } = created.body as { id: string; secret: string; qrcode: string };
        const scene = decodeURIComponent(one.emulator.control.wxacode.scan({ image: qrcode }).query.scene);

        const stream = await openEvents(`${four.url}/v1/qr-login/${id}/events?secret=${secret}`);
        try {
          assert.equal((await stream.next(1)).event, 'pending');
          const scanned = await two.call('POST', '/v1/qr-login/scan', {
            token: user.body.accessToken,
            body: { scene },
          });
          assert.equal(scanned.status, 200, scanned.text);
          assert.equal((await stream.next(2)).event, 'scanned');
          const confirmed = await three.call('POST', '/v1/qr-login/confirm', {
            token: user.body.accessToken,
            body: { scene },
          });
          assert.equal(confirmed.status, 200, confirmed.text);
          const done = await stream.next(3);
          assert.equal(done.event, 'confirmed');
          assert.equal(claimsOf(done.data.tokens.accessToken).sub, user.body.user.id);
          await stream.closed();
        } finally {
          stream.close();
        }
        // Every other instance agrees the tokens are gone.
        for (const s of stacks) {
          const read = await s.call('GET', `/v1/qr-login/${id}?secret=${secret}`);
          assert.equal(read.body.status, 'confirmed');
          assert.equal(read.body.delivered, true);
          assert.equal(read.body.tokens, undefined);
        }
      });

      it('polls racing on all four instances: exactly one gets the tokens', async () => {
        const [one, two] = stacks as [Stack, Stack];
        const user = await one.login('multi-bob');
        const created = await two.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } });
        const { id, secret, qrcode } = created.body as { id: string; secret: string; qrcode: string };
        const scene = decodeURIComponent(one.emulator.control.wxacode.scan({ image: qrcode }).query.scene);
        await one.call('POST', '/v1/qr-login/scan', { token: user.body.accessToken, body: { scene } });
        await two.call('POST', '/v1/qr-login/confirm', { token: user.body.accessToken, body: { scene } });
        const reads = await Promise.all(
          stacks.flatMap((s) => [1, 2].map(() => s.call('GET', `/v1/qr-login/${id}?secret=${secret}`))),
        );
        assert.deepEqual(
          reads.map((r) => r.status),
          reads.map(() => 200),
        );
        assert.equal(reads.filter((r) => r.body.tokens).length, 1);
      });
    },
    { only: ['postgres'] },
  );
});

/** Redis away: tickets are refused fast with 503 CACHE_UNAVAILABLE, never kept in one instance's memory. */
describe('scan to log in without Redis', {
  skip: redisServerProblem !== undefined && !inCI ? redisServerProblem : false,
}, () => {
  forEachDialect(
    'Redis killed',
    (h) => {
      let redis: RedisProcess;
      before(async () => {
        if (redisServerProblem) throw new Error(`${redisServerProblem} — CI is set, so this fails instead of skipping`);
        redis = await RedisProcess.start();
      });
      after(async () => {
        await redis?.stop();
      });

      it('creation, reads and the phone answer CACHE_UNAVAILABLE; all resumes when Redis returns', async () => {
        const s = await startStack(h, { env: { ...QR_ENV, REDIS_URL: redis.url } });
        const user = await s.login('no-redis');
        const created = await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } });
        assert.equal(created.status, 200, created.text);
        const { id, secret } = created.body as { id: string; secret: string };
        await redis.kill();
        const answers = await Promise.all([
          s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } }),
          s.call('GET', `/v1/qr-login/${id}?secret=${secret}`),
          s.call('POST', '/v1/qr-login/scan', { token: user.body.accessToken, body: { scene: 'A'.repeat(32) } }),
        ]);
        for (const answer of answers) {
          assert.equal(answer.status, 503, answer.text);
          assert.equal(answer.body.code, 'CACHE_UNAVAILABLE');
          assert.ok(answer.headers.get('retry-after'));
        }
        await redis.restart();
        // The restarted server kept nothing (no persistence): a new ticket works end to end.
        let again = await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } });
        for (let i = 0; again.status === 503 && i < 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          again = await s.call('POST', '/v1/qr-login', { body: { clientId: 'admin' } });
        }
        assert.equal(again.status, 200, again.text);
      });
    },
    { only: ['sqlite'] },
  );
});
