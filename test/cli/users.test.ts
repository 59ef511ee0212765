import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createSession,
  isSessionActive,
  openStore,
  recordAuditEvent,
  type Store,
  setUserPhone,
  updateUserProfile,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));
const APPID = 'wx4f4bc4dec97d474b';

describe('weapp-auth users and audit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-users-'));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:${join(dir, 'users.db')}`,
    WEAPP_APPS: `${APPID}:${'c'.repeat(32)}`,
    WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
    AVATAR_DIR: join(dir, 'avatars'),
  };
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: 'utf8' });
  let store: Store;
  let userId = '';
  let familyId = '';

  before(async () => {
    store = await openStore({ url: env.DATABASE_URL, secretKey: env.WEAPP_SECRET_KEY });
    const { user } = await upsertIdentityOnLogin(store, {
      appid: APPID,
      openid: 'oUsersCli000000000000000000',
      unionid: 'uUsersCli000000000000000000',
      sessionKey: randomBytes(16).toString('base64'),
    });
    userId = user.id;
    await setUserPhone(store.db, userId, { phoneNumber: '13800138000', countryCode: '86' });
    const session = await createSession(store.db, {
      userId,
      appid: APPID,
      refreshTokenHash: 'a'.repeat(64),
      expiresAt: Date.now() + 86_400_000,
    });
    familyId = session.familyId;
    await recordAuditEvent(store.db, { type: 'login', userId, appid: APPID, ip: '203.0.113.7' });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('users find: by id, openid, unionid and phone (with +86), the phone masked', () => {
    for (const query of [userId, 'oUsersCli000000000000000000', 'uUsersCli000000000000000000', '+86 138 0013 8000']) {
      const r = run('users', 'find', query);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(userId), query);
      assert.match(r.stdout, /138\*{4}8000/);
      assert.doesNotMatch(r.stdout, /13800138000/);
    }
    assert.match(run('users', 'find', 'nobody').stdout, /No user matches nobody/);
  });

  it('users show: the export as JSON, audited; an unknown id exits 1', () => {
    const r = run('users', 'show', userId);
    assert.equal(r.status, 0, r.stderr);
    const data = JSON.parse(r.stdout);
    assert.equal(data.user.id, userId);
    assert.equal(data.user.phoneNumber, '13800138000');
    assert.equal(data.identities[0].openid, 'oUsersCli000000000000000000');
    const missing = run('users', 'show', 'u_nobody');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /No user u_nobody/);
  });

  it('users revoke ends every session at once', async () => {
    assert.equal(await isSessionActive(store.db, familyId), true);
    const r = run('users', 'revoke', userId);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ended 1 live session of/);
    assert.equal(await isSessionActive(store.db, familyId), false);
  });

  it('audit lists the events newest first, filtered by user and type prefix', () => {
    const r = run('audit', '--user', userId, '--json');
    assert.equal(r.status, 0, r.stderr);
    const types = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).type);
    assert.deepEqual(types, ['operator.sessions_revoked', 'operator.exported', 'login']);
    const ops = run('audit', '--type', 'operator.');
    assert.match(ops.stdout, /operator\.sessions_revoked/);
    assert.doesNotMatch(ops.stdout, / login /);
    assert.equal(run('audit', '--since', 'yesterday-ish').status, 2);
  });

  it('users flagged lists a user whose avatar awaits review; unflag clears it, audited', async () => {
    await updateUserProfile(store.db, userId, { avatarReview: 'review' });
    const listed = run('users', 'flagged');
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${userId}\\s+avatar:review`));
    const unflagged = run('users', 'unflag', userId);
    assert.equal(unflagged.status, 0, unflagged.stderr);
    assert.match(unflagged.stdout, /cleared avatar:review/);
    assert.match(run('users', 'flagged').stdout, /No user is flagged/);
    assert.equal(run('users', 'unflag', 'u_nobody').status, 1);
    assert.match(run('audit', '--user', userId, '--type', 'operator.unflagged').stdout, /operator\.unflagged/);
  });

  it('users delete --now purges the user; audit keeps the trail without personal data', () => {
    const r = run('users', 'delete', userId, '--now');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`deleted ${userId}`));
    assert.match(run('users', 'find', userId).stdout, /No user matches/);
    const trail = run('audit', '--user', userId, '--json').stdout;
    assert.match(trail, /deletion\.purged/);
    assert.match(trail, /operator\.deleted/);
    assert.doesNotMatch(trail, /13800138000|oUsersCli/);
  });
});
