import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { isUniqueViolation } from '../../src/store/dialects.ts';
import {
  createSession,
  draftSession,
  findSessionByRefreshHash,
  isDatabaseUnavailable,
  type LoginInput,
  listAuditEvents,
  rotateSession,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { type BatchStatement, runBatched } from '../../src/store/pg-batches.ts';
import { type FreshDatabase, forEachDialect } from '../helpers/databases.ts';
import { APP_A, openid, sessionKey } from '../helpers/wechat-ids.ts';

const hash = () => createHash('sha256').update(randomBytes(16)).digest('hex');

/** A connection of its own to the test's schema, inside a transaction that `fn` ends (or that is rolled back). */
async function withLockHolder(database: FreshDatabase, fn: (holder: pg.Client) => Promise<void>): Promise<void> {
  const holder = new pg.Client({ connectionString: database.url, options: `-c search_path=${database.schema}` });
  await holder.connect();
  try {
    await holder.query('begin');
    await fn(holder);
  } finally {
    await holder.query('rollback').catch(() => {});
    await holder.end();
  }
}

forEachDialect(
  'runBatched (PostgreSQL)',
  (h) => {
    it('runs a call alone when idle, and the calls that arrive meanwhile together, each answered in order', async () => {
      const store = await h.openStore();
      const batches: number[][] = [];
      const double: BatchStatement<{ key: string; value: number }, number> = async (db, inputs) => {
        batches.push(inputs.map((i) => i.value));
        const { rows } = await sql<{ n: number; doubled: number }>`
          select n, v * 2 as doubled from unnest(${inputs.map((i) => i.value)}::int[]) with ordinality as t(v, n)
          where v >= 0`.execute(db);
        const out: (number | undefined)[] = inputs.map(() => undefined);
        for (const row of rows) out[Number(row.n) - 1] = row.doubled;
        return out;
      };
      // Keys repeat every ten calls: two calls of one key never share a statement.
      const inputs = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 10}`, value: i === 7 ? -1 : i }));
      const results = await Promise.all(inputs.map((input) => runBatched(store.db, double, (i) => i.key, input)));

      assert.deepEqual(
        results,
        inputs.map((i) => (i.value >= 0 ? i.value * 2 : undefined)),
        'each call gets its own row, or undefined where the statement found none',
      );
      assert.deepEqual(batches[0], [0], 'the first call ran at once, alone');
      assert.ok(batches.length < inputs.length, `${batches.length} statements for ${inputs.length} calls`);
      assert.deepEqual(
        batches.flat().sort((a, b) => a - b),
        inputs.map((i) => i.value).sort((a, b) => a - b),
        'every call ran exactly once',
      );
      for (const batch of batches) {
        const keys = batch.map((v) => `k${(v === -1 ? 7 : v) % 10}`);
        assert.equal(new Set(keys).size, keys.length, `one statement held one key twice: ${batch.join(',')}`);
      }
    });

    it('a batch one row of which breaks a constraint is run again call by call: only that call fails', async () => {
      const store = await h.openStore();
      const taken = `a_${randomBytes(8).toString('hex')}`;
      await sql`insert into audit_events (id, at, type) values (${taken}, 1, 'login')`.execute(store.db);
      let statements = 0;
      const insert: BatchStatement<string, true> = async (db, ids) => {
        statements++;
        await sql`insert into audit_events (id, at, type) select id, 2, 'login' from unnest(${ids}::text[]) as t(id)`.execute(
          db,
        );
        return ids.map(() => true as const);
      };
      const ids = Array.from({ length: 10 }, (_, i) => (i === 5 ? taken : `a_${randomBytes(8).toString('hex')}`));
      const settled = await Promise.allSettled(ids.map((id) => runBatched(store.db, insert, (id) => id, id)));

      settled.forEach((result, i) => {
        if (i === 5) assert.ok(result.status === 'rejected' && isUniqueViolation(result.reason));
        else assert.deepEqual(result, { status: 'fulfilled', value: true }, `call ${i}`);
      });
      const stored = await store.db.selectFrom('audit_events').select('id').where('at', '=', 2).execute();
      assert.equal(stored.length, 9, 'the other calls of the failed batch were stored, once each');
      // The first call alone, the failed batch of nine, then its nine calls again one by one.
      assert.equal(statements, 1 + 1 + 9);
    });

    it('a database that cannot answer fails the whole batch, and the calls queued behind it, at once', async () => {
      const store = await h.openStore();
      let statements = 0;
      let late: Promise<string | undefined> | undefined;
      const maybeDie: BatchStatement<string, string> = async (db, inputs) => {
        statements++;
        if (inputs.includes('die')) {
          // A call that arrives while the failing batch is in flight queues for the next one.
          late = runBatched(db, maybeDie, (i) => i, 'late');
          // The backend ends itself: PostgreSQL's admin shutdown (57P01), what a restart looks like.
          await sql`select pg_terminate_backend(pg_backend_pid())`.execute(db);
        }
        return [...inputs];
      };
      const inputs = ['first', 'die', 'b', 'c', 'd'];
      const settled = await Promise.allSettled(inputs.map((i) => runBatched(store.db, maybeDie, (i) => i, i)));
      settled.push(...(await Promise.allSettled([late])));

      assert.deepEqual(settled[0], { status: 'fulfilled', value: 'first' });
      for (const result of settled.slice(1)) {
        assert.ok(result.status === 'rejected' && isDatabaseUnavailable(result.reason), String(result));
      }
      assert.equal(statements, 2, 'the failed batch ran once, and the queued call never ran');
      // And the pool serves the next call.
      assert.equal(await runBatched(store.db, maybeDie, (i) => i, 'after'), 'after');
    });

    // The timeouts bound a stall (a batch waiting for the lock would hang the file), not speed.
    it('a login whose identity another transaction holds locked waits alone; the rest of its batch goes on', {
      timeout: 120_000,
    }, async () => {
      const database = await h.freshDatabase();
      const store = await h.openStore({ database });
      const people: LoginInput[] = [];
      for (let i = 0; i < 7; i++) {
        const input = { appid: APP_A, openid: openid(), sessionKey: sessionKey() };
        await upsertIdentityOnLogin(store, input, 1000);
        people.push(input);
      }
      await withLockHolder(database, async (holder) => {
        await holder.query('select id from identities where openid = $1 for update', [people[1]?.openid]);
        // The first call runs alone at once; the other six make one batch, the locked one among them.
        const logins = people.map((person, i) =>
          upsertIdentityOnLogin(store, person, 2000 + i, {
            session: draftSession({ appid: APP_A, refreshTokenHash: hash(), expiresAt: 9e12 }, 2000 + i),
            audit: { type: 'login' as const, appid: APP_A },
          }),
        );
        let lockedDone = false;
        void logins[1]?.then(() => {
          lockedDone = true;
        });
        const others = await Promise.all(logins.filter((_, i) => i !== 1));
        assert.ok(others.every((r) => r.written === true));
        assert.equal(lockedDone, false, 'the locked identity is still waiting for its lock');
        await holder.query('commit');
        const locked = await logins[1];
        assert.equal(locked?.written, true);
        assert.equal(locked?.identity.openid, people[1]?.openid);
      });
    });

    it('a rotation whose token another transaction holds locked waits alone; the rest of its batch goes on', {
      timeout: 120_000,
    }, async () => {
      const database = await h.freshDatabase();
      const store = await h.openStore({ database });
      const { user } = await upsertIdentityOnLogin(
        store,
        { appid: APP_A, openid: openid(), sessionKey: sessionKey() },
        1,
      );
      const sessions: Awaited<ReturnType<typeof createSession>>[] = [];
      for (let i = 0; i < 7; i++) {
        sessions.push(
          await createSession(
            store.db,
            { userId: user.id, appid: APP_A, refreshTokenHash: hash(), expiresAt: 9e12 },
            1,
          ),
        );
      }
      await withLockHolder(database, async (holder) => {
        await holder.query('select id from sessions where id = $1 for update', [sessions[1]?.id]);
        const rotations = sessions.map((s, i) =>
          rotateSession(
            store.db,
            { refreshTokenHash: s.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 9e12 },
            10 + i,
          ),
        );
        let lockedDone = false;
        void rotations[1]?.then(() => {
          lockedDone = true;
        });
        const others = await Promise.all(rotations.filter((_, i) => i !== 1));
        assert.ok(others.every((r) => r.status === 'rotated'));
        assert.equal(lockedDone, false, 'the locked token is still waiting for its lock');
        // The holder revokes it: the waiting rotation then sees the revocation, as one statement would.
        await holder.query(`update sessions set revoked_at = 5, revoke_reason = 'admin' where id = $1`, [
          sessions[1]?.id,
        ]);
        await holder.query('commit');
        assert.equal((await rotations[1])?.status, 'revoked');
      });
    });

    it('inside a transaction a call runs alone, in the transaction, and rolls back with it', async () => {
      const store = await h.openStore();
      const insert: BatchStatement<string, true> = async (db, ids) => {
        await sql`insert into audit_events (id, at, type) select id, 3, 'login' from unnest(${ids}::text[]) as t(id)`.execute(
          db,
        );
        return ids.map(() => true as const);
      };
      await assert.rejects(
        store.db.transaction().execute(async (trx) => {
          await Promise.all(['a_x1', 'a_x2'].map((id) => runBatched(trx, insert, (id) => id, id)));
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal((await store.db.selectFrom('audit_events').select('id').where('at', '=', 3).execute()).length, 0);
    });
  },
  { only: ['postgres'] },
);

forEachDialect('batched hot statements', (h) => {
  it('40 concurrent returning logins of 20 identities offering their writes: each login stamped, each offer stored once', async () => {
    const store = await h.openStore();
    const people = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const input = { appid: APP_A, openid: openid(), sessionKey: sessionKey() };
        const { user } = await upsertIdentityOnLogin(store, input, 1000);
        return { input, userId: user.id };
      }),
    );
    const logins = [...people, ...people].map((person, i) => ({
      ...person,
      now: 2000 + i,
      offer: {
        session: draftSession({ appid: APP_A, refreshTokenHash: hash(), expiresAt: 9e12, ip: `10.0.0.${i}` }, 2000 + i),
        audit: { type: 'login' as const, appid: APP_A, ip: `10.0.0.${i}`, details: { n: i, quote: `"'\\,{}` } },
      },
    }));
    const results = await Promise.all(logins.map((l) => upsertIdentityOnLogin(store, l.input, l.now, l.offer)));

    for (const [i, result] of results.entries()) {
      const login = logins[i]!;
      assert.equal(result.user.id, login.userId);
      assert.equal(result.identity.openid, login.input.openid);
      assert.equal(result.isNewUser, false);
      const stored = await findSessionByRefreshHash(store.db, login.offer.session.refresh_token_hash);
      // PostgreSQL's shared statement; SQLite's procedure (src/store/sqlite-procedures.ts), one per login.
      assert.equal(result.written, true);
      assert.equal(stored?.userId, login.userId, `login ${i}'s session`);
      assert.equal(stored?.ip, `10.0.0.${i}`);
    }
    for (const person of people) {
      const events = await listAuditEvents(store.db, { userId: person.userId });
      assert.equal(events.length, 2, 'two logins, two events');
      for (const event of events) assert.equal((event.details as { quote?: string }).quote, `"'\\,{}`);
    }
    const stamps = await store.db.selectFrom('identities').select(['openid', 'last_login_at']).execute();
    for (const person of people) {
      const both = logins.filter((l) => l.input.openid === person.input.openid).map((l) => l.now);
      const stamp = stamps.find((s) => s.openid === person.input.openid)?.last_login_at;
      assert.ok(stamp !== undefined && both.includes(stamp), `stamped by one of its logins: ${stamp}`);
    }
  });

  it('30 concurrent rotations of 20 tokens: each token rotates once, the repeats are seen as reuse', async () => {
    const store = await h.openStore();
    const { user } = await upsertIdentityOnLogin(
      store,
      { appid: APP_A, openid: openid(), sessionKey: sessionKey() },
      1,
    );
    const sessions = await Promise.all(
      Array.from({ length: 20 }, () =>
        createSession(store.db, { userId: user.id, appid: APP_A, refreshTokenHash: hash(), expiresAt: 9e12 }, 1),
      ),
    );
    const tokens = [...sessions, ...sessions.slice(0, 10)];
    const results = await Promise.all(
      tokens.map((s, i) =>
        rotateSession(
          store.db,
          { refreshTokenHash: s.refreshTokenHash, newRefreshTokenHash: hash(), expiresAt: 9e12, ip: `10.1.0.${i}` },
          100 + i,
        ),
      ),
    );
    for (const session of sessions) {
      const mine = results.filter((_r, i) => tokens[i] === session);
      const rotated = mine.filter((r) => r.status === 'rotated');
      assert.equal(rotated.length, 1, 'one rotation won');
      assert.equal(mine.filter((r) => r.status === 'reused').length, mine.length - 1);
      const won = rotated[0];
      assert.ok(won?.status === 'rotated');
      assert.equal(won.previous.id, session.id);
      assert.equal(won.session.familyId, session.familyId);
      assert.equal(won.openid, (await store.db.selectFrom('identities').select('openid').executeTakeFirst())?.openid);
      const successor = await findSessionByRefreshHash(store.db, won.session.refreshTokenHash);
      assert.equal(successor?.id, won.session.id);
      assert.equal((await findSessionByRefreshHash(store.db, session.refreshTokenHash))?.replacedBy, won.session.id);
    }
  });
});
