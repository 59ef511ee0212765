import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { forEachDialect } from '../helpers/databases.ts';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3, type TestS3 } from '../media/s3-server.ts';
import { IMAGES, MIME, uploadMultipart, uploadRaw } from './images.ts';
import { type Stack, startStack } from './stack.ts';

const CDN = 'https://cdn.example.com';

// The storage choice does not depend on the database: one dialect is enough.
forEachDialect(
  'avatar upload with MEDIA_STORE=s3',
  (h) => {
    let s3: TestS3;
    let s: Stack;
    let token: string;
    before(async () => {
      s3 = await startS3();
      s = await startStack(h, {
        env: {
          MEDIA_STORE: 's3',
          S3_ENDPOINT: s3.endpoint,
          S3_BUCKET: s3.bucket,
          S3_ACCESS_KEY_ID,
          S3_SECRET_ACCESS_KEY,
          S3_PUBLIC_URL: CDN,
          S3_PATH_STYLE: 'true',
        },
      });
      token = (await s.login('amy')).body.accessToken;
    });
    after(() => s3?.close());

    it('stores the upload in the bucket, and points avatarUrl at S3_PUBLIC_URL', async () => {
      const res = await uploadRaw(s, IMAGES.webp, { token, type: 'image/webp' });
      assert.equal(res.status, 200, res.text);
      const key = `${createHash('sha256').update(IMAGES.webp).digest('hex')}.webp`;
      assert.equal(res.body.user.avatarUrl, `${CDN}/avatars/${key}`);
      const object = await fetch(s3.objectUrl(`avatars/${key}`));
      assert.equal(object.status, 200);
      assert.deepEqual(Buffer.from(await object.arrayBuffer()), IMAGES.webp);
      assert.equal(object.headers.get('content-type'), MIME.webp);
      assert.equal(object.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      // Nothing on local disk, and the server does not serve /media/avatars itself.
      assert.deepEqual(readdirSync(s.ctx.config.avatarDir), []);
      assert.equal((await fetch(`${s.url}/media/avatars/${key}`)).status, 404);
      assert.equal((await s.call('GET', '/v1/me', { token })).body.user.avatarUrl, res.body.user.avatarUrl);
    });

    it('keeps the old object when the avatar is replaced (wx.uploadFile form)', async () => {
      const first = await uploadMultipart(s, IMAGES.png, { token, type: MIME.png, method: 'PUT' });
      const second = await uploadMultipart(s, IMAGES.gif, { token, type: MIME.gif, method: 'PUT' });
      assert.equal(second.status, 200, second.text);
      assert.notEqual(first.body.user.avatarUrl, second.body.user.avatarUrl);
      for (const url of [first.body.user.avatarUrl, second.body.user.avatarUrl]) {
        assert.ok(url.startsWith(`${CDN}/avatars/`), url);
        assert.equal((await fetch(s3.objectUrl(new URL(url).pathname.slice(1)))).status, 200, url);
      }
    });

    it('answers 503 MEDIA_UNAVAILABLE, without the secret, when the bucket refuses our credentials', async () => {
      const wrong = await startStack(h, {
        env: {
          MEDIA_STORE: 's3',
          S3_ENDPOINT: s3.endpoint,
          S3_BUCKET: s3.bucket,
          S3_ACCESS_KEY_ID,
          S3_SECRET_ACCESS_KEY: 'not-the-secret-at-all-0123456789',
          S3_PUBLIC_URL: CDN,
          S3_PATH_STYLE: 'true',
        },
        emulator: s.emulator,
      });
      const login = await wrong.login('bea');
      const res = await uploadRaw(wrong, IMAGES.png, { token: login.body.accessToken, type: 'image/png' });
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.code, 'MEDIA_UNAVAILABLE');
      assert.equal(res.body.details.storage, 'MEDIA_DENIED');
      assert.ok(!res.text.includes('not-the-secret-at-all') && !wrong.logs.join('').includes('not-the-secret-at-all'));
      assert.match(wrong.logs.join(''), /MEDIA_UNAVAILABLE/);
      // The user keeps the avatar they had (none): nothing half-saved.
      assert.equal((await wrong.call('GET', '/v1/me', { token: login.body.accessToken })).body.user.avatarUrl, null);
    });
  },
  { only: ['sqlite'] },
);
