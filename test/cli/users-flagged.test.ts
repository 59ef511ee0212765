import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clearReviewFlags, listFlaggedUsers } from '../../src/store/content-review.ts';
import {
  findUserById,
  listAuditEvents,
  openStore,
  type Store,
  updateUserProfile,
  upsertIdentityOnLogin,
} from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));
const APPID = 'wx4f4bc4dec97d474b';

async function newUser(store: Store, openid: string): Promise<string> {
  const { user } = await upsertIdentityOnLogin(store, {
    appid: APPID,
    openid,
    sessionKey: randomBytes(16).toString('base64'),
  });
  return user.id;
}

forEachDialect('content review flags', (h) => {
  it('lists nickname and avatar flags, and clears them but an avatar still waiting for WeChat', async () => {
    const store = await h.openStore();
    const both = await newUser(store, 'oFlagBoth000000000000000000');
    const pending = await newUser(store, 'oFlagPend000000000000000000');
    await newUser(store, 'oFlagNone000000000000000000');
    await updateUserProfile(store.db, both, { nicknameReview: true, avatarReview: 'risky' }, 1000);
    await updateUserProfile(store.db, pending, { nicknameReview: true, avatarReview: 'pending' }, 2000);
    assert.deepEqual(
      (await listFlaggedUsers(store.db)).map((u) => [u.id, u.flags]),
      [
        [pending, ['nickname']],
        [both, ['nickname', 'avatar:risky']],
      ],
    );
    assert.deepEqual(await clearReviewFlags(store.db, both, 3000), ['nickname', 'avatar:risky']);
    assert.deepEqual(await clearReviewFlags(store.db, pending, 3000), ['nickname']);
    assert.equal((await findUserById(store.db, pending))?.avatarReview, 'pending');
    assert.equal((await findUserById(store.db, both))?.avatarReview, null);
    assert.deepEqual(await listFlaggedUsers(store.db), []);
    assert.equal(await clearReviewFlags(store.db, 'u_nobody', 3000), undefined);
  });
});

describe('weapp-auth users flagged / unflag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-flagged-'));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:${join(dir, 'users.db')}`,
    WEAPP_APPS: `${APPID}:${'c'.repeat(32)}`,
    WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
    AVATAR_DIR: join(dir, 'avatars'),
  };
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: 'utf8' });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the flagged user, clears the flags on request, and audits it', async () => {
    const store = await openStore({ url: env.DATABASE_URL, secretKey: env.WEAPP_SECRET_KEY });
    try {
      const userId = await newUser(store, 'oFlagCli0000000000000000000');
      await updateUserProfile(store.db, userId, { avatarReview: 'review' });
      const listed = run('users', 'flagged');
      assert.equal(listed.status, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`${userId}\\s+avatar:review`));
      const unflagged = run('users', 'unflag', userId);
      assert.equal(unflagged.status, 0, unflagged.stderr);
      assert.match(unflagged.stdout, /cleared avatar:review/);
      assert.match(run('users', 'flagged').stdout, /No user is flagged/);
      assert.equal(run('users', 'unflag', 'u_nobody').status, 1);
      const [event] = await listAuditEvents(store.db, { userId, type: 'operator.unflagged' });
      assert.deepEqual(event?.details, { cleared: ['avatar:review'] });
    } finally {
      await store.close();
    }
  });
});
