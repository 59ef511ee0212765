import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { contentKey, LocalMediaStore, mediaKeyOfUrl, PUT_REFRESH_MS, pruneMedia } from '../../src/media/index.ts';
import { updateUserProfile, upsertIdentityOnLogin } from '../../src/store/index.ts';
import { listAvatarUrls } from '../../src/store/users.ts';
import { forEachDialect } from '../helpers/databases.ts';

const DAY = 86_400_000;

forEachDialect('listAvatarUrls', (h) => {
  it('reads every avatar URL page by page, and no user without one', async () => {
    const store = await h.openStore();
    const urls: string[] = [];
    for (let i = 0; i < 7; i++) {
      const login = { appid: 'wx4f4bc4dec97d474b', openid: `o${i}`, sessionKey: randomBytes(16).toString('base64') };
      const { user } = await upsertIdentityOnLogin(store, login);
      if (i === 3) continue;
      urls.push(`https://auth.example.com/media/avatars/${'a'.repeat(63)}${i}.png`);
      await updateUserProfile(store.db, user.id, { avatarUrl: urls.at(-1) });
    }
    const read: string[] = [];
    for await (const url of listAvatarUrls(store.db, 2)) read.push(url);
    assert.deepEqual(read.sort(), urls.sort());
  });
});

describe('pruneMedia', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-prune-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what is referenced or young, deletes the rest, and only reports in a dry run', async () => {
    const media = new LocalMediaStore({ directory: dir, publicBase: 'https://auth.example.com/media/avatars' });
    const put = async (ageDays: number) => {
      const bytes = randomBytes(32);
      const key = contentKey(bytes, 'png');
      await media.put({ key, bytes, contentType: 'image/png' });
      const at = new Date(Date.now() - ageDays * DAY);
      utimesSync(join(dir, key), at, at);
      return key;
    };
    const [inUse, young, old] = [await put(30), await put(2), await put(30)];
    const options = { media, referencedKeys: async () => new Set([inUse]), olderThanMs: 7 * DAY };
    const dry = await pruneMedia({ ...options, dryRun: true });
    assert.deepEqual([dry.stored, dry.referenced, dry.young], [3, 1, 1]);
    assert.deepEqual(
      dry.deleted.map((o) => o.key),
      [old],
    );
    assert.ok(existsSync(join(dir, old)));
    const seen: string[] = [];
    const real = await pruneMedia({ ...options, onDelete: (o) => seen.push(o.key) });
    assert.deepEqual(seen, [old]);
    assert.deepEqual(
      real.deleted.map((o) => o.key),
      [old],
    );
    assert.deepEqual(
      [existsSync(join(dir, inUse)), existsSync(join(dir, young)), existsSync(join(dir, old))],
      [true, true, false],
    );
  });

  it('refuses a grace period shorter than a put may leave storedAt stale', async () => {
    const media = new LocalMediaStore({ directory: dir, publicBase: 'https://auth.example.com/media/avatars' });
    await assert.rejects(
      pruneMedia({ media, referencedKeys: async () => new Set(), olderThanMs: PUT_REFRESH_MS - 1 }),
      RangeError,
    );
  });
});

describe('mediaKeyOfUrl', () => {
  it("finds the content key at the end of any store's URL, and none in WeChat's", () => {
    const key = `${'0123456789abcdef'.repeat(4)}.webp`;
    assert.equal(mediaKeyOfUrl(`https://auth.example.com/media/avatars/${key}`), key);
    assert.equal(mediaKeyOfUrl(`https://cdn.example.com/prod/avatars/${key}?v=1#x`), key);
    for (const url of [
      'https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaG/132',
      '',
      key.toUpperCase(),
    ]) {
      assert.equal(mediaKeyOfUrl(url), undefined, url);
    }
  });
});
