import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AwsClient } from 'aws4fetch';
import {
  contentKey,
  MediaStoreError,
  PUT_REFRESH_MS,
  pruneMedia,
  S3MediaStore,
  type S3MediaStoreOptions,
} from '../../src/media/index.ts';
import { mediaStoreContract } from './media-store-contract.ts';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3 } from './s3-server.ts';

const s3 = await startS3();
after(() => s3.close());
let n = 0;

/** A store on its own prefix of the shared bucket, so each test sees only its own objects. */
function store(options: Partial<S3MediaStoreOptions> = {}): S3MediaStore {
  return new S3MediaStore({
    endpoint: s3.endpoint,
    bucket: s3.bucket,
    accessKeyId: S3_ACCESS_KEY_ID,
    secretAccessKey: S3_SECRET_ACCESS_KEY,
    publicUrl: 'https://cdn.example.com/',
    keyPrefix: `t${++n}/`,
    ...options,
  });
}

const png = (bytes = randomBytes(48)) => ({ key: contentKey(bytes, 'png'), bytes, contentType: 'image/png' });
const since = (mark: number) => s3.requests.slice(mark);
const keysOf = async (media: S3MediaStore) => {
  const keys = [];
  for await (const object of media.list()) keys.push(object.key);
  return keys.sort();
};

mediaStoreContract('S3MediaStore on s3rver', { create: () => store() });

describe('S3MediaStore', () => {
  it('uploads with the type, a year of immutable caching and a signed payload hash', async () => {
    const media = store({ keyPrefix: 'avatars/' });
    const o = png();
    const mark = s3.requests.length;
    await media.put(o);
    const res = await fetch(s3.objectUrl(`avatars/${o.key}`));
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), o.bytes);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const put = since(mark).find((r) => r.method === 'PUT');
    assert.equal(put?.contentSha256, createHash('sha256').update(o.bytes).digest('hex'));
    assert.deepEqual(
      since(mark).map((r) => `${r.method} ${r.verdict}`),
      ['HEAD matched', 'PUT matched', 'GET unsigned'],
    );
    assert.equal(media.urlOf(o.key), `https://cdn.example.com/avatars/${o.key}`);
  });

  it('skips uploading an object already there, unless stored longer ago than PUT_REFRESH_MS', async () => {
    const o = png();
    await store({ keyPrefix: 'same/' }).put(o);
    const mark = s3.requests.length;
    await store({ keyPrefix: 'same/' }).put(o);
    assert.deepEqual(
      since(mark).map((r) => r.method),
      ['HEAD'],
    );
    // Seen from two days on, the object is stale: stored again, which refreshes its Last-Modified.
    await store({ keyPrefix: 'same/', now: () => Date.now() + PUT_REFRESH_MS * 2 }).put(o);
    assert.deepEqual(
      since(mark).map((r) => r.method),
      ['HEAD', 'HEAD', 'PUT'],
    );
  });

  it('builds public URLs from publicUrl, or from the bucket in path or host style', () => {
    const key = contentKey(Buffer.from('x'), 'webp');
    const base = { bucket: 'pics-1250000000', accessKeyId: 'a', secretAccessKey: 'b' };
    const cos = new S3MediaStore({ ...base, endpoint: 'https://cos.ap-guangzhou.myqcloud.com' });
    assert.equal(cos.urlOf(key), `https://pics-1250000000.cos.ap-guangzhou.myqcloud.com/avatars/${key}`);
    const minio = new S3MediaStore({ ...base, endpoint: 'http://127.0.0.1:9000/', keyPrefix: '' });
    assert.equal(minio.urlOf(key), `http://127.0.0.1:9000/pics-1250000000/${key}`);
    const cdn = new S3MediaStore({
      ...base,
      endpoint: 'https://s3.amazonaws.com',
      publicUrl: 'https://cdn.example.com/a',
    });
    assert.equal(cdn.urlOf(key), `https://cdn.example.com/a/avatars/${key}`);
    assert.throws(
      () => new S3MediaStore({ ...base, endpoint: 'https://s3.amazonaws.com', keyPrefix: '../x/' }),
      TypeError,
    );
    assert.throws(() => new S3MediaStore({ ...base, endpoint: 'https://s3.amazonaws.com', bucket: 'A_B' }), TypeError);
  });

  it('lists page by page, only content keys under its prefix', async () => {
    const media = store({ pageSize: 2 });
    const prefix = `t${n}/`;
    const objects = [png(), png(), png(), png(), png()];
    for (const o of objects) await media.put(o);
    // Neighbours: another prefix, and things in ours that are not content keys.
    const raw = new AwsClient({ accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY, service: 's3' });
    for (const name of [`${prefix}README.txt`, `${prefix}sub/${objects[0]?.key}`, `other/${png().key}`]) {
      assert.equal((await raw.fetch(s3.objectUrl(name), { method: 'PUT', body: 'x' })).status, 200);
    }
    const mark = s3.requests.length;
    assert.deepEqual(await keysOf(media), objects.map((o) => o.key).sort());
    assert.ok(since(mark).length >= 3, 'several pages');
  });

  it('prunes through the interface: unreferenced objects past the grace period go', async () => {
    const media = store();
    const [kept, gone, young] = [png(), png(), png()];
    for (const o of [kept, gone, young]) await media.put(o);
    const common = { media, referencedKeys: async () => new Set([kept.key]), olderThanMs: 7 * 86_400_000 };
    const now = await pruneMedia(common);
    assert.deepEqual([now.stored, now.referenced, now.young, now.deleted.length], [3, 1, 2, 0]);
    // A month on, `young` is old too: s3rver's clock cannot be moved, so the prune's is.
    const later = await pruneMedia({
      ...common,
      referencedKeys: async () => new Set([kept.key, young.key]),
      now: () => Date.now() + 30 * 86_400_000,
    });
    assert.deepEqual(
      later.deleted.map((o) => o.key),
      [gone.key],
    );
    assert.deepEqual(await keysOf(media), [kept.key, young.key].sort());
  });

  describe('failures are typed and leak nothing', () => {
    const wrongSecret = 'wR0ng/Secret+Example';

    it('refuses a wrong secret: MEDIA_DENIED, without the secret or the signature in the message', async () => {
      const media = store({ secretAccessKey: wrongSecret });
      const o = png();
      const mark = s3.requests.length;
      for (const attempt of [
        () => media.put(o),
        () => media.get(o.key),
        () => keysOf(media),
        () => media.delete(o.key),
      ]) {
        const err = await attempt().then(
          () => assert.fail('a wrong secret was accepted'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof MediaStoreError, String(err));
        assert.equal(err.code, 'MEDIA_DENIED');
        assert.equal(err.status, 403);
        // HEAD answers carry no body, so no S3 error code.
        assert.equal(err.storageCode, err.operation.startsWith('HEAD') ? undefined : 'SignatureDoesNotMatch');
        assert.match(
          err.message,
          /^S3 (HEAD|GET|LIST|DELETE) t\d+\/\S* in avatars answered 403( SignatureDoesNotMatch)?$/,
        );
        const leaks = [wrongSecret, S3_ACCESS_KEY_ID, 'Signature=', ...since(mark).map((r) => r.signature ?? '-')];
        for (const leak of leaks) assert.ok(!err.message.includes(leak), `${leak} in ${err.message}`);
        assert.ok(!JSON.stringify(err).includes(wrongSecret));
      }
      assert.ok(since(mark).every((r) => r.verdict === 'mismatched'));
    });

    it('refuses an unknown access key (s3rver itself): MEDIA_DENIED InvalidAccessKeyId', async () => {
      const media = store({ accessKeyId: 'AKIDNOBODY', secretAccessKey: wrongSecret });
      await assert.rejects(media.get(png().key), (err: unknown) => {
        assert.ok(err instanceof MediaStoreError);
        assert.deepEqual([err.code, err.status, err.storageCode], ['MEDIA_DENIED', 403, 'InvalidAccessKeyId']);
        assert.ok(!err.message.includes('AKIDNOBODY') && !err.message.includes(wrongSecret), err.message);
        return true;
      });
    });

    it('tells a missing bucket from a missing key', async () => {
      const media = store({ bucket: 'no-such-bucket' });
      await assert.rejects(media.get(png().key), { code: 'MEDIA_FAILED', status: 404, storageCode: 'NoSuchBucket' });
      await assert.rejects(media.put(png()), { code: 'MEDIA_FAILED', storageCode: 'NoSuchBucket' });
      await assert.rejects(keysOf(media), { code: 'MEDIA_FAILED', storageCode: 'NoSuchBucket' });
    });

    describe('when the storage does not answer', () => {
      let silent: ReturnType<typeof createServer>;
      let closedPort: number;
      before(async () => {
        // Takes requests and never answers them.
        silent = createServer(() => {});
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        const closed = createServer();
        await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
        closedPort = (closed.address() as AddressInfo).port;
        await new Promise((resolve) => closed.close(resolve));
      });
      after(() => {
        silent.closeAllConnections();
        silent.close();
      });

      it('gives up after timeoutMs: MEDIA_TIMEOUT', async () => {
        const port = (silent.address() as AddressInfo).port;
        const media = store({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 50 });
        await assert.rejects(media.put(png()), (err: unknown) => {
          assert.ok(err instanceof MediaStoreError);
          assert.equal(err.code, 'MEDIA_TIMEOUT');
          assert.match(err.message, /^S3 HEAD t\d+\/\S+ in avatars: no answer within 50 ms$/);
          return true;
        });
      });

      it('reports a refused connection: MEDIA_UNREACHABLE', async () => {
        const media = store({ endpoint: `http://127.0.0.1:${closedPort}` });
        await assert.rejects(media.delete(png().key), (err: unknown) => {
          assert.ok(err instanceof MediaStoreError);
          assert.equal(err.code, 'MEDIA_UNREACHABLE');
          assert.match(err.message, new RegExp(`cannot reach 127\\.0\\.0\\.1:${closedPort} \\(ECONNREFUSED\\)$`));
          return true;
        });
      });
    });
  });
});
