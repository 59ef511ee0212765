import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { clearReviewFlags, listFlaggedUsers } from '../../src/store/content-review.ts';
import { findUserById, type Store, updateUserProfile, upsertIdentityOnLogin } from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';

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
