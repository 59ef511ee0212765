import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { contentKey, LocalMediaStore } from '../../src/media/index.ts';
import { openStore, updateUserProfile, upsertIdentityOnLogin } from '../../src/store/index.ts';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));
const DAY = 86_400_000;

describe('weapp-auth media prune', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-prune-cli-'));
  const avatars = join(dir, 'avatars');
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    WEAPP_APPS: `wx4f4bc4dec97d474b:${'c'.repeat(32)}`,
    WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
    AVATAR_DIR: avatars,
    PUBLIC_URL: 'https://auth.example.com',
  };
  const files = { shared: '', young: '', old: '', tenDays: '' };
  after(() => rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    const media = new LocalMediaStore({ directory: avatars, publicBase: `${env.PUBLIC_URL}/media/avatars` });
    const stored = async (ageDays: number) => {
      const bytes = randomBytes(64);
      const key = contentKey(bytes, 'png');
      await media.put({ key, bytes, contentType: 'image/png' });
      const at = new Date(Date.now() - ageDays * DAY);
      utimesSync(join(avatars, key), at, at);
      return key;
    };
    files.shared = await stored(30);
    files.young = await stored(2);
    files.old = await stored(30);
    files.tenDays = await stored(10);
    // Not avatars: a half-written upload and an operator's note are left alone.
    writeFileSync(join(avatars, '.partial-0123456789abcdef'), 'half');
    writeFileSync(join(avatars, 'README.txt'), 'note');

    const store = await openStore({ url: env.DATABASE_URL, secretKey: env.WEAPP_SECRET_KEY });
    try {
      // Two users uploaded the same picture; a third still has WeChat's own avatar URL.
      const avatarsOf: [string, string][] = [
        ['amy', media.urlOf(files.shared)],
        ['bob', media.urlOf(files.shared)],
        ['cat', 'https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTL/132'],
      ];
      for (const [openid, avatarUrl] of avatarsOf) {
        const login = { appid: 'wx4f4bc4dec97d474b', openid, sessionKey: randomBytes(16).toString('base64') };
        const { user } = await upsertIdentityOnLogin(store, login);
        await updateUserProfile(store.db, user.id, { avatarUrl });
      }
    } finally {
      await store.close();
    }
  });

  const prune = (...args: string[]) =>
    spawnSync(process.execPath, [bin, 'media', 'prune', ...args], { cwd: dir, env, encoding: 'utf8' });
  const left = () => readdirSync(avatars).sort();

  it('--dry-run lists the unreferenced avatars past the grace period and deletes nothing', () => {
    const before = left();
    const r = prune('--dry-run');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(
      lines
        .slice(0, -1)
        .map((l) => l.split(' ').slice(0, 3).join(' '))
        .sort(),
      [`would delete ${files.old}`, `would delete ${files.tenDays}`].sort(),
    );
    assert.equal(
      lines.at(-1),
      'Dry run: would delete 2 of 4 stored avatars; kept 1 in use and 1 unused but younger than 7d.',
    );
    assert.deepEqual(left(), before);
  });

  it('deletes only what is unreferenced and older than --older-than', () => {
    const r = prune('--older-than', '14d');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^deleted ${files.old} \\(stored \\d{4}-\\d\\d-\\d\\dT`));
    assert.match(r.stdout, /deleted 1 of 4 stored avatars; kept 1 in use and 2 unused but younger than 14d\.\n$/);
    assert.ok(!left().includes(files.old));
    assert.ok(left().includes(files.tenDays));
  });

  it('defaults to a week, and keeps shared, young and foreign files', () => {
    const r = prune();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /deleted 1 of 3 stored avatars; kept 1 in use and 1 unused but younger than 7d\.\n$/);
    assert.deepEqual(left(), ['.partial-0123456789abcdef', 'README.txt', files.shared, files.young].sort());
  });

  it('says which storage call failed, without the secret, when the bucket cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const r = spawnSync(process.execPath, [bin, 'media', 'prune'], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...env,
        MEDIA_STORE: 's3',
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
        S3_BUCKET: 'avatars',
        S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        S3_SECRET_ACCESS_KEY: secret,
        S3_PUBLIC_URL: 'https://cdn.example.com',
      },
    });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `S3 LIST avatars/ in avatars: cannot reach 127.0.0.1:${port} (ECONNREFUSED)\n`);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(secret));
  });

  it('refuses a grace period under a day, saying how to write one', () => {
    const r = prune('--older-than', '2h');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--older-than <age>' argument '2h' is invalid\. Give days or hours, at least a day/);
    assert.equal(prune('--older-than', 'week').status, 1);
    assert.deepEqual(left(), ['.partial-0123456789abcdef', 'README.txt', files.shared, files.young].sort());
  });
});
