import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  findUserById,
  getSessionKeys,
  migrateToLatest,
  openDatabase,
  openStore,
  StoreError,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { forEachDialect, TEST_SECRET_KEY } from '../helpers/databases.ts';

const TABLES = [
  'audit_events',
  'avatar_checks',
  'identities',
  'replaced_media',
  'sessions',
  'signing_keys',
  'unionid_conflicts',
  'users',
];

forEachDialect('store lifecycle', (h) => {
  it('migrates an empty database up, and a second run finds nothing to do', async () => {
    const database = h.track(await openDatabase(await h.freshDatabase()));
    assert.deepEqual(await migrateToLatest(database), [
      '0001_initial',
      '0002_phone_lookup',
      '0003_replaced_media',
      '0004_user_rights',
      '0005_avatar_checks',
      '0006_session_key_fingerprint',
    ]);
    assert.deepEqual(await migrateToLatest(database), []);
    const tables = await database.db.introspection.getTables();
    const ours = tables.filter((t) => database.schema === undefined || t.schema === database.schema).map((t) => t.name);
    assert.deepEqual(ours.sort(), TABLES);
  });

  it('openStore migrates by default and leaves the schema alone with migrate: false', async () => {
    const fresh = await h.freshDatabase();
    const bare = h.track(await openStore({ ...fresh, secretKey: TEST_SECRET_KEY, migrate: false }));
    await assert.rejects(bare.db.selectFrom('users').selectAll().execute());
    await bare.close();
    const store = await h.openStore({ database: fresh });
    assert.deepEqual(await store.db.selectFrom('users').selectAll().execute(), []);
  });

  it('ping answers while open and rejects once closed; close is idempotent', async () => {
    const store = await h.openStore();
    assert.equal(store.dialect, h.dialect);
    await store.ping();
    await store.close();
    await store.close();
    await assert.rejects(store.ping());
  });

  it('keeps data across close and reopen of the same database', async () => {
    const database = await h.freshDatabase();
    const first = await h.openStore({ database });
    const login = await upsertIdentityOnLogin(first, {
      appid: 'wx0000000000000001',
      openid: 'o-reopen',
      sessionKey: 'a2V5LW9uZS0xNmJ5dGVzIQ==',
    });
    await first.close();

    const again = await h.openStore({ database });
    assert.deepEqual(await findUserById(again.db, login.user.id), login.user);
    const relogin = await upsertIdentityOnLogin(again, {
      appid: 'wx0000000000000001',
      openid: 'o-reopen',
      sessionKey: 'a2V5LW9uZS0xNmJ5dGVzIQ==',
    });
    assert.equal(relogin.isNewUser, false);
    assert.equal(relogin.user.id, login.user.id);
    assert.deepEqual(getSessionKeys(again, relogin.identity), { current: 'a2V5LW9uZS0xNmJ5dGVzIQ==' });
  });

  it('enforces foreign keys and cascades user deletion', async () => {
    const store = await h.openStore();
    await assert.rejects(
      store.db
        .insertInto('sessions')
        .values({
          id: 's_orphan',
          family_id: 's_orphan',
          user_id: 'u_missing',
          appid: 'wx0000000000000001',
          refresh_token_hash: 'ab',
          expires_at: 1,
          created_at: 0,
          last_used_at: 0,
        })
        .execute(),
    );
    const { user } = await upsertIdentityOnLogin(store, {
      appid: 'wx0000000000000001',
      openid: 'o-cascade',
      sessionKey: 'a2V5LW9uZS0xNmJ5dGVzIQ==',
    });
    await store.db.deleteFrom('users').where('id', '=', user.id).execute();
    assert.deepEqual(await store.db.selectFrom('identities').selectAll().execute(), []);
  });

  it('stores times as integer epoch milliseconds, read back as numbers', async () => {
    const store = await h.openStore();
    const now = 1_750_000_000_123;
    const { user } = await upsertIdentityOnLogin(
      store,
      { appid: 'wx0000000000000001', openid: 'o-time', sessionKey: 'a2V5LW9uZS0xNmJ5dGVzIQ==' },
      now,
    );
    assert.equal(user.createdAt, now);
    const row = await store.db
      .selectFrom('identities')
      .select(['created_at', 'last_login_at'])
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { created_at: now, last_login_at: now });
  });
});

forEachDialect(
  'store lifecycle beside other schemas',
  (h) => {
    // Regression: Kysely's own introspector scanned every schema by name, so a migration at start
    // failed with "schema … does not exist" when another test run dropped its schema meanwhile.
    it('migrates while other schemas of the same database are created and dropped', async () => {
      const admin = h.track(await openDatabase(await h.freshDatabase()));
      let churning = true;
      const churn = (async () => {
        for (let i = 0; churning; i++) {
          const schema = `${admin.schema}_churn_${i}`;
          await sql.raw(`create schema ${schema}; create table ${schema}.t (id serial primary key)`).execute(admin.db);
          await sql.raw(`drop schema ${schema} cascade`).execute(admin.db);
        }
      })();
      try {
        for (let i = 0; i < 8; i++) {
          const store = await h.openStore();
          await store.close();
        }
      } finally {
        churning = false;
        await churn;
      }
    });

    it('lists only the tables of its own schema', async () => {
      const store = await h.openStore();
      const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
      assert.deepEqual(new Set(tables.map((t) => t.schema)), new Set([store.schema]));
      const users = tables.find((t) => t.name === 'users');
      assert.deepEqual(
        users?.columns.find((c) => c.name === 'unionid'),
        {
          name: 'unionid',
          dataType: 'text',
          dataTypeSchema: 'pg_catalog',
          isNullable: true,
          hasDefaultValue: false,
          isAutoIncrementing: false,
        },
      );
      assert.ok(tables.some((t) => t.name === 'kysely_migration'));
      assert.ok(!(await store.db.introspection.getTables()).some((t) => t.name === 'kysely_migration'));
    });
  },
  { only: ['postgres'] },
);

describe('store configuration', () => {
  it('checks the secret key before touching the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-test-'));
    try {
      const path = join(dir, 'never.db');
      await assert.rejects(openStore({ url: path, secretKey: 'not a key' }), (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.equal(err.code, 'INVALID_SECRET_KEY');
        return true;
      });
      assert.equal(existsSync(path), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the directories of a SQLite path and turns on WAL, foreign keys and a busy timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-test-'));
    const store = await openStore({
      url: `sqlite:${join(dir, 'nested', 'deeper', 'app.db')}`,
      secretKey: randomBytes(32),
    });
    try {
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 5000);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an in-memory SQLite store works and a schema is refused on SQLite', async () => {
    const store = await openStore({ url: ':memory:', secretKey: randomBytes(32) });
    await store.ping();
    await store.close();
    await assert.rejects(openStore({ url: ':memory:', schema: 'x', secretKey: randomBytes(32) }), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.code, 'INVALID_SCHEMA_NAME');
      return true;
    });
  });

  it('refuses a PostgreSQL schema name that is not a plain identifier', async () => {
    await assert.rejects(
      openStore({ url: 'postgres://127.0.0.1/x', schema: 'a; drop table users', secretKey: randomBytes(32) }),
      (err: unknown) => err instanceof StoreError && err.code === 'INVALID_SCHEMA_NAME',
    );
  });
});
