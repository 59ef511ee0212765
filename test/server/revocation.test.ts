import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startEmulator } from '../../src/emulator/start.ts';
import { channelFor, SUBSCRIBER_NAME } from '../../src/revocation/index.ts';
import { type DialectHarness, forEachDialect, TEST_DATABASE_URL } from '../helpers/databases.ts';
import { describeRedis, type RedisHarness } from '../helpers/redis.ts';
import { APPID, APPID2, SECRET, SECRET2, type Stack, startStack } from './stack.ts';

/**
 * Each instance keeps session liveness and the user in process (src/tokens/live-sessions.ts);
 * these run two real instances on one database (and one Redis) and check that what ends a
 * session on A is refused by B at once, with B's cache warm — also after B's feed was cut.
 */

/** Until the instance's bus vouches for its feed (its own heartbeat came back): a bounded wait. */
async function trusted(stack: Stack): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!stack.ctx.tokens.liveSessionCache().trusted) {
    if (Date.now() > deadline) throw new Error('the invalidation feed never became trusted');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Logs `user` in on A and reads /v1/me on B until B answers from its cache. */
async function warmOnB(a: Stack, b: Stack, user: string) {
  const login = await a.login(user);
  assert.equal(login.status, 200, login.text);
  await trusted(b);
  const token = login.body.accessToken as string;
  const sizeBefore = b.ctx.tokens.liveSessionCache().size;
  for (let i = 0; i < 2; i++) assert.equal((await b.call('GET', '/v1/me', { token })).status, 200);
  const cachedOnB = b.ctx.tokens.liveSessionCache().size;
  assert.ok(cachedOnB > sizeBefore, 'B keeps the session in its cache');
  return { token, refreshToken: login.body.refreshToken as string, cachedOnB };
}

/**
 * SQLite instances re-read the file's data_version at most once a millisecond, and an instance
 * writing on a thread of its own trusts that thread's look for another millisecond
 * (src/revocation/local-bus.ts, src/store/sqlite-writer-thread.ts).
 */
const SQLITE_BOUND_MS = 2;

/** The bound RELIABILITY.md gives for a subscription that stalls silently. */
const STALL_BOUND_MS = 1500;

/**
 * Past the bound within which B sees what A wrote: 1 ms on SQLite. On the buses, A answered
 * once every subscriber was signalled; Redis has written the message to B's socket by then, while
 * PostgreSQL hands a NOTIFY to each listening backend, and B's may be scheduled later than A's
 * (RELIABILITY.md#revocation). So when B's cache held `cachedOnB` entries before A's change, this
 * waits until B dropped one — it heard the invalidation on its feed, nothing else empties it —
 * and no longer than the stall bound; the assertion that follows tells whether B got it right.
 */
async function settled(b: Stack, cachedOnB?: number): Promise<void> {
  if (b.ctx.store.dialect === 'sqlite') {
    await new Promise((resolve) => setTimeout(resolve, SQLITE_BOUND_MS + 1));
    return;
  }
  if (cachedOnB === undefined) return;
  const deadline = Date.now() + STALL_BOUND_MS;
  while (b.ctx.tokens.liveSessionCache().size >= cachedOnB && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function refusedOnB(b: Stack, token: string, cachedOnB?: number): Promise<void> {
  await settled(b, cachedOnB);
  const me = await b.call('GET', '/v1/me', { token });
  assert.equal(me.status, 401, me.text);
  assert.equal(me.body.code, 'SESSION_REVOKED');
}

function twoInstances(
  h: DialectHarness,
  options: { env?: Record<string, string>; prefix?: string; cut?: (a: Stack) => Promise<number> },
) {
  let a: Stack;
  let b: Stack;
  before(async () => {
    const emulator = h.track(
      await startEmulator({
        apps: [
          { appid: APPID, secret: SECRET },
          { appid: APPID2, secret: SECRET2 },
        ],
        logger: false,
      }),
    );
    const env = { ...options.env, LOGIN_RATE_LIMIT: '1000' };
    a = await startStack(h, { emulator, env, cachePrefix: options.prefix });
    b = await startStack(h, { emulator, env, cachePrefix: options.prefix, database: a.database });
  });

  it('a logout on A is refused by B at once', async () => {
    const { token, cachedOnB } = await warmOnB(a, b, 'lena');
    assert.equal((await a.call('POST', '/v1/logout', { token })).status, 200);
    await refusedOnB(b, token, cachedOnB);
  });

  it('an account deleted on A is refused by B at once', async () => {
    const { token, cachedOnB } = await warmOnB(a, b, 'mira');
    const deleted = await a.call('DELETE', '/v1/me', { token });
    assert.equal(deleted.status, 200, deleted.text);
    await refusedOnB(b, token, cachedOnB);
  });

  it('a refresh token replayed on A ends the session on B at once', async () => {
    const { token, refreshToken, cachedOnB } = await warmOnB(a, b, 'nora');
    const rotated = await a.call('POST', '/v1/token/refresh', { body: { refreshToken } });
    assert.equal(rotated.status, 200, rotated.text);
    // Past the double-submit grace: a replay is theft.
    a.clock.offsetMs = 11_000;
    try {
      const replay = await a.call('POST', '/v1/token/refresh', { body: { refreshToken } });
      assert.equal(replay.body.code, 'REFRESH_TOKEN_REUSED', replay.text);
    } finally {
      a.clock.offsetMs = 0;
    }
    await refusedOnB(b, token, cachedOnB);
  });

  it('a nickname changed on A shows on B at once', async () => {
    const { token, cachedOnB } = await warmOnB(a, b, 'olga');
    const patched = await a.call('PATCH', '/v1/me', { token, body: { nickname: 'Olga 2' } });
    assert.equal(patched.status, 200, patched.text);
    await settled(b, cachedOnB);
    assert.equal((await b.call('GET', '/v1/me', { token })).body.user.nickname, 'Olga 2');
  });

  const { cut } = options;
  if (cut) {
    it("with B's feed cut, B still refuses what A revokes, and trusts its cache again once resubscribed", async () => {
      const { token } = await warmOnB(a, b, 'petra');
      const second = await warmOnB(a, b, 'quinn');
      assert.ok((await cut(a)) > 0, 'a subscriber connection was cut');
      // Whether B hears of it after resubscribing or answers from the database meanwhile, it refuses.
      assert.equal((await a.call('POST', '/v1/logout', { token })).status, 200);
      await refusedOnB(b, token);
      // Back to normal: B resubscribed, fills its cache again, and hears the next revocation.
      await trusted(b);
      assert.equal((await b.call('GET', '/v1/me', { token: second.token })).status, 200);
      assert.equal((await a.call('POST', '/v1/logout', { token: second.token })).status, 200);
      await refusedOnB(b, second.token);
    });
  }
}

/** Ends the LISTEN connections of the stacks' schema (both instances'), as a failover or a proxy would. */
async function terminateListeners(a: Stack): Promise<number> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
      [channelFor(a.database.schema)],
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

/** Kills the stacks' Redis subscriber connections (both instances'), as a Redis restart would. */
async function killSubscribers(redis: RedisHarness, prefix: string): Promise<number> {
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    const list = (await admin.client('LIST')) as string;
    const name = `${SUBSCRIBER_NAME}:${prefix}invalidations`;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    return ids.length;
  } finally {
    admin.disconnect();
  }
}

describe('revocation reaches every instance', () => {
  // SQLite: the file's data_version tells each instance what the other wrote. PostgreSQL: LISTEN/NOTIFY.
  forEachDialect('two instances on one database, no Redis', (h) => {
    twoInstances(h, h.dialect === 'postgres' ? { cut: terminateListeners } : {});
  });

  forEachDialect(
    'two instances on one SQLite file, each writing on a thread of its own',
    (h) => {
      twoInstances(h, { env: { DB_WRITER_THREAD: 'on' } });
    },
    { only: ['sqlite'] },
  );

  describeRedis('two instances on one PostgreSQL and one Redis', (redis) => {
    forEachDialect(
      'Redis pub/sub',
      (h) => {
        const prefix = `${redis.prefix}revocation:`;
        twoInstances(h, { env: { REDIS_URL: redis.url }, prefix, cut: () => killSubscribers(redis, prefix) });
      },
      { only: ['postgres'] },
    );
  });
});
