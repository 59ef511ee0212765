import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { before, it } from 'node:test';
import { forEachDialect } from '../helpers/databases.ts';
import { ELF_EXECUTABLE, fetchAvatar, IMAGES, MIME, uploadMultipart, uploadRaw } from './images.ts';
import { type Stack, startStack } from './stack.ts';

const MAX_BYTES = 64 * 1024;

forEachDialect('avatar upload', (h) => {
  let s: Stack;
  let token: string;
  before(async () => {
    s = await startStack(h, { env: { AVATAR_MAX_BYTES: String(MAX_BYTES), PUBLIC_URL: 'https://auth.example.com' } });
    token = (await s.login('amy')).body.accessToken;
  });

  it('stores each accepted type sent as wx.uploadFile does, and serves it back for a year', async () => {
    for (const [ext, bytes] of Object.entries(IMAGES)) {
      const res = await uploadMultipart(s, bytes, {
        token,
        type: MIME[ext as keyof typeof MIME],
        filename: `wxfile://tmp_${ext}.${ext}`,
        formData: { scene: 'profile' },
      });
      assert.equal(res.status, 200, `${ext}: ${res.text}`);
      const sha = createHash('sha256').update(bytes).digest('hex');
      assert.equal(res.body.user.avatarUrl, `https://auth.example.com/media/avatars/${sha}.${ext}`);
      const served = await fetchAvatar(s, res.body.user.avatarUrl);
      assert.equal(served.status, 200);
      assert.deepEqual(served.bytes, bytes);
      assert.equal(served.headers.get('content-type'), MIME[ext as keyof typeof MIME]);
      assert.match(served.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
      assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
    }
    const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /weapp_auth_avatar_uploads_total\{type="webp"\} 1/);
  });

  it('takes PUT and the raw-body variant, whatever type the client claims', async () => {
    const put = await uploadMultipart(s, IMAGES.gif, { token, method: 'PUT', type: 'application/octet-stream' });
    assert.equal(put.status, 200, put.text);
    assert.match(put.body.user.avatarUrl, /\.gif$/);
    // A JPEG declared as PNG is stored as what it is.
    const raw = await uploadRaw(s, IMAGES.jpg, { token, type: 'image/png' });
    assert.equal(raw.status, 200, raw.text);
    assert.match(raw.body.user.avatarUrl, /\.jpg$/);
    const octets = await uploadRaw(s, IMAGES.png, { token });
    assert.equal(octets.status, 200, octets.text);
    assert.match(octets.body.user.avatarUrl, /\.png$/);
    assert.equal((await s.call('GET', '/v1/me', { token })).body.user.avatarUrl, octets.body.user.avatarUrl);
  });

  it('keeps the old file reachable after the avatar is replaced', async () => {
    const first = await uploadRaw(s, IMAGES.webp, { token, type: 'image/webp' });
    const second = await uploadRaw(s, IMAGES.gif, { token, type: 'image/gif' });
    assert.notEqual(first.body.user.avatarUrl, second.body.user.avatarUrl);
    assert.equal((await fetchAvatar(s, first.body.user.avatarUrl)).status, 200);
    assert.equal((await fetchAvatar(s, second.body.user.avatarUrl)).status, 200);
  });

  it('refuses a renamed executable by its bytes, and leaves nothing behind', async () => {
    const before = readdirSync(s.ctx.config.avatarDir).length;
    const multipart = await uploadMultipart(s, ELF_EXECUTABLE, { token, type: 'image/png', filename: 'avatar.png' });
    assert.equal(multipart.status, 415, multipart.text);
    assert.equal(multipart.body.code, 'UNSUPPORTED_IMAGE_TYPE');
    assert.match(multipart.body.message, /application\/x-elf, not a PNG, JPEG, WebP or GIF/);
    const raw = await uploadRaw(s, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), {
      token,
      type: 'image/svg+xml',
    });
    assert.equal(raw.status, 415);
    assert.equal(raw.body.code, 'UNSUPPORTED_IMAGE_TYPE');
    assert.equal(readdirSync(s.ctx.config.avatarDir).length, before);
  });

  it('refuses an image over AVATAR_MAX_BYTES with 413, in both forms', async () => {
    const big = Buffer.concat([IMAGES.png, Buffer.alloc(MAX_BYTES)]);
    const multipart = await uploadMultipart(s, big, { token });
    assert.equal(multipart.status, 413, multipart.text);
    assert.equal(multipart.body.code, 'IMAGE_TOO_LARGE');
    assert.match(multipart.body.message, /larger than 64 KB/);
    assert.equal(multipart.body.details.maxBytes, MAX_BYTES);
    const raw = await uploadRaw(s, big, { token, type: 'image/png' });
    assert.equal(raw.status, 413, raw.text);
    assert.equal(raw.body.code, 'IMAGE_TOO_LARGE');
    // Exactly at the limit is fine.
    const edge = await uploadRaw(s, Buffer.concat([IMAGES.png, Buffer.alloc(MAX_BYTES - IMAGES.png.length)]), {
      token,
    });
    assert.equal(edge.status, 200, edge.text);
  });

  it('answers other bad uploads with a clear 4xx', async () => {
    const wrongField = await uploadMultipart(s, IMAGES.png, { token, field: 'image' });
    assert.equal(wrongField.status, 400);
    assert.equal(wrongField.body.code, 'INVALID_REQUEST');
    assert.match(wrongField.body.message, /field "file".*not "image"/);
    const empty = await uploadRaw(s, Buffer.alloc(0), { token, type: 'image/png' });
    assert.equal(empty.status, 400, empty.text);
    const json = await s.call('PUT', '/v1/me/avatar', { token, body: { avatarUrl: 'https://evil.example/x.png' } });
    assert.equal(json.status, 415);
    assert.equal(json.body.code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(json.body.message, /multipart\/form-data/);
    const broken = await fetch(`${s.url}/v1/me/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG',
    });
    assert.equal(broken.status, 400, await broken.clone().text());
    const twoFiles = new FormData();
    twoFiles.append('file', new Blob([IMAGES.png]), 'a.png');
    twoFiles.append('file', new Blob([IMAGES.gif]), 'b.gif');
    const two = await fetch(`${s.url}/v1/me/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: twoFiles,
    });
    assert.equal(two.status, 400, await two.clone().text());
    const noToken = await uploadMultipart(s, IMAGES.png);
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.code, 'UNAUTHORIZED');
    const missing = await fetchAvatar(s, `https://x/media/avatars/${'0'.repeat(64)}.png`);
    assert.equal(missing.status, 404);
  });

  it('still takes only JSON on the other routes', async () => {
    const res = await fetch(`${s.url}/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: IMAGES.png,
    });
    assert.equal(res.status, 415);
  });
});
