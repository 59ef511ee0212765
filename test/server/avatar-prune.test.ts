import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { mediaKeyOfUrl } from '../../src/media/index.ts';
import { pruneAvatars } from '../../src/server/avatars/prune-avatars.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { fetchAvatar, IMAGES, uploadRaw } from './images.ts';
import { type Stack, startStack } from './stack.ts';

const DAY = 86_400_000;

// Regression: the grace period counted from when a file was stored, so an avatar stored a month
// ago and replaced today went at the next prune, breaking the URLs handed out minutes before.
forEachDialect('avatar prune', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h);
  });

  it('keeps a replaced avatar for the grace period counted from its replacement', async () => {
    const token = (await s.login('pam')).body.accessToken;
    const first = await uploadRaw(s, IMAGES.png, { token, type: 'image/png' });
    const oldKey = mediaKeyOfUrl(first.body.user.avatarUrl) ?? '';
    // Stored a month ago...
    const month = new Date(Date.now() - 30 * DAY);
    utimesSync(join(s.avatarDir, oldKey), month, month);
    // ...and replaced now.
    await uploadRaw(s, IMAGES.jpg, { token, type: 'image/jpeg' });

    const now = await pruneAvatars({ db: s.ctx.store.db, media: s.ctx.media, olderThanMs: 7 * DAY });
    assert.deepEqual(now.deleted, []);
    assert.equal((await fetchAvatar(s, first.body.user.avatarUrl)).status, 200);

    const later = await pruneAvatars({
      db: s.ctx.store.db,
      media: s.ctx.media,
      olderThanMs: 7 * DAY,
      now: () => Date.now() + 8 * DAY,
    });
    assert.deepEqual(
      later.deleted.map((o) => o.key),
      [oldKey],
    );
    assert.equal((await fetchAvatar(s, first.body.user.avatarUrl)).status, 404);
    // The replacement row is forgotten once its grace period is over.
    const rows = await s.ctx.store.db.selectFrom('replaced_media').selectAll().where('key', '=', oldKey).execute();
    assert.deepEqual(rows, []);
  });
});
