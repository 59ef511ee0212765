import { createHash } from 'node:crypto';
import { AwsClient } from 'aws4fetch';
import {
  assertMediaKey,
  MEDIA_KEY,
  type MediaObject,
  type MediaStore,
  PUT_REFRESH_MS,
  type StoredMedia,
} from './media-store.ts';
import { MediaStoreError } from './media-store-error.ts';
import { parseListObjectsV2, parseS3ErrorCode } from './s3-xml.ts';

export interface S3MediaStoreOptions {
  /**
   * The service, without the bucket: https://s3.us-east-1.amazonaws.com,
   * https://cos.ap-guangzhou.myqcloud.com, https://oss-cn-hangzhou.aliyuncs.com,
   * https://<account>.r2.cloudflarestorage.com, http://127.0.0.1:9000 (MinIO).
   */
  endpoint: string;
  bucket: string;
  /** The signing region: us-east-1 (the default), ap-guangzhou, auto for R2… */
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where clients download objects (a CDN, or the bucket's public endpoint); default the bucket's URL. */
  publicUrl?: string;
  /** endpoint/bucket/key rather than bucket.endpoint/key; default true for an IP or localhost endpoint. */
  pathStyle?: boolean;
  /** Prepended to every key; default `avatars/`. */
  keyPrefix?: string;
  /** Each call (with its retries) gives up after this long; default 10 s. */
  timeoutMs?: number;
  /** Objects per listing request; default 1000, S3's maximum. */
  pageSize?: number;
  /** The clock that judges whether a stored object is fresh enough to skip putting it again. */
  now?: () => number;
}

const CACHE_CONTROL = 'public, max-age=31536000, immutable';
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Plain path segments only: a `..` in a key would be resolved away by URL parsing before signing. */
export const S3_KEY_PREFIX = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*(?:[A-Za-z0-9_-][A-Za-z0-9._-]*)?$/;

/**
 * A MediaStore in any S3-compatible bucket (AWS S3, Tencent COS, Aliyun OSS in S3 mode, MinIO,
 * Cloudflare R2), spoken to over fetch with requests signed by aws4fetch (SigV4). Clients
 * download straight from the bucket or its CDN: this server never serves those bytes.
 */
export class S3MediaStore implements MediaStore {
  readonly #client: AwsClient;
  readonly #bucketUrl: string;
  readonly #publicBase: string;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #pageSize: number;
  readonly #now: () => number;
  readonly #bucket: string;

  constructor(options: S3MediaStoreOptions) {
    // URL's own TypeError carries the input, which may hold credentials: never rethrown.
    const endpoint = URL.canParse(options.endpoint) ? new URL(options.endpoint) : undefined;
    if (!endpoint || !/^https?:$/.test(endpoint.protocol) || endpoint.search || endpoint.hash) {
      throw new TypeError('endpoint must be an http(s) URL without query or fragment');
    }
    if (!S3_BUCKET_NAME.test(options.bucket))
      throw new TypeError('bucket must be an S3 bucket name (3-63 of a-z 0-9 . -)');
    const prefix = options.keyPrefix ?? 'avatars/';
    if (!S3_KEY_PREFIX.test(prefix)) throw new TypeError('keyPrefix must be path segments of A-Z a-z 0-9 . _ -');
    const base = endpoint.pathname.replace(/\/+$/, '');
    const pathStyle = options.pathStyle ?? isLocalHost(endpoint.hostname);
    this.#bucketUrl = pathStyle
      ? `${endpoint.origin}${base}/${options.bucket}`
      : `${endpoint.protocol}//${options.bucket}.${endpoint.host}${base}`;
    this.#publicBase = (options.publicUrl ?? this.#bucketUrl).replace(/\/+$/, '');
    this.#prefix = prefix;
    this.#bucket = options.bucket;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#pageSize = options.pageSize ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#client = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      service: 's3',
      region: options.region ?? 'us-east-1',
      // aws4fetch retries 5xx and 429 with backoff; a few tries, all within the call's timeout.
      retries: 2,
    });
  }

  async put(object: MediaObject): Promise<void> {
    assertMediaKey(object.key);
    const name = this.#prefix + object.key;
    const head = await this.#call('HEAD', name, {}, [200, 404], async (res) => res);
    // Content-addressed: an object that is there holds these bytes. It is stored again only to
    // refresh a Last-Modified older than PUT_REFRESH_MS, which pruning goes by.
    const storedAt = Date.parse(head.headers.get('last-modified') ?? '');
    if (head.status === 200 && this.#now() - storedAt < PUT_REFRESH_MS) return;
    await this.#call(
      'PUT',
      name,
      {
        // A copy typed as fetch wants it (a view of a plain ArrayBuffer); avatars are small.
        body: new Uint8Array(object.bytes),
        headers: {
          'content-type': object.contentType,
          'cache-control': CACHE_CONTROL,
          // The payload's hash is signed (not UNSIGNED-PAYLOAD): the storage refuses altered bytes.
          'x-amz-content-sha256': createHash('sha256').update(object.bytes).digest('hex'),
        },
      },
      [200],
      drain,
    );
  }

  async get(key: string): Promise<MediaObject | undefined> {
    assertMediaKey(key);
    return this.#call('GET', this.#prefix + key, {}, [200, 404], async (res) =>
      res.status === 404
        ? undefined
        : {
            key,
            bytes: new Uint8Array(await res.arrayBuffer()),
            contentType: res.headers.get('content-type') ?? 'application/octet-stream',
          },
    );
  }

  urlOf(key: string): string {
    assertMediaKey(key);
    return `${this.#publicBase}/${encodePath(this.#prefix + key)}`;
  }

  async *list(): AsyncIterable<StoredMedia> {
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ 'list-type': '2', prefix: this.#prefix, 'max-keys': String(this.#pageSize) });
      if (token) query.set('continuation-token', token);
      const page = await this.#call(
        'LIST',
        undefined,
        {},
        [200],
        async (res) => parseListObjectsV2(await res.text()),
        query,
      );
      if (!page) {
        throw new MediaStoreError(
          'MEDIA_BAD_RESPONSE',
          `S3 LIST ${this.#prefix} in ${this.#bucket}: unreadable listing`,
          {
            operation: `LIST ${this.#prefix}`,
          },
        );
      }
      for (const object of page.objects) {
        const key = object.key.slice(this.#prefix.length);
        // Other things may share the bucket or the prefix: only content keys are ours.
        if (object.key.startsWith(this.#prefix) && MEDIA_KEY.test(key)) yield { key, storedAt: object.lastModified };
      }
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    assertMediaKey(key);
    // S3 answers 204 whether or not the key was there; some compatible services answer 404.
    await this.#call('DELETE', this.#prefix + key, {}, [200, 204, 404], drain);
  }

  /**
   * One signed request, its status checked and its body read under one timeout. Failures become
   * MediaStoreErrors that name the operation, status and S3 error code, and nothing else.
   */
  async #call<T>(
    method: 'HEAD' | 'GET' | 'PUT' | 'DELETE' | 'LIST',
    name: string | undefined,
    init: { body?: Uint8Array<ArrayBuffer>; headers?: Record<string, string> },
    accept: readonly number[],
    read: (res: Response) => Promise<T>,
    query?: URLSearchParams,
  ): Promise<T> {
    const operation = `${method} ${name ?? this.#prefix}`;
    const where = `S3 ${operation} in ${this.#bucket}`;
    const url = name === undefined ? `${this.#bucketUrl}/?${query}` : `${this.#bucketUrl}/${encodePath(name)}`;
    try {
      const res = await this.#client.fetch(url, {
        method: method === 'LIST' ? 'GET' : method,
        ...init,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const failed = !accept.includes(res.status);
      // A 404 may mean a missing bucket rather than a missing key: that is a configuration error.
      const storageCode =
        (failed || res.status === 404) && method !== 'HEAD'
          ? parseS3ErrorCode((await res.clone().text()).slice(0, 8192))
          : undefined;
      if (failed || storageCode === 'NoSuchBucket') {
        const code = res.status === 401 || res.status === 403 ? 'MEDIA_DENIED' : 'MEDIA_FAILED';
        throw new MediaStoreError(code, `${where} answered ${res.status}${storageCode ? ` ${storageCode}` : ''}`, {
          operation,
          status: res.status,
          ...(storageCode && { storageCode }),
        });
      }
      return await read(res);
    } catch (err) {
      if (err instanceof MediaStoreError) throw err;
      // fetch fails with TypeError (network) or a DOMException (the timeout); anything else is a bug.
      if (!(err instanceof TypeError || err instanceof DOMException)) throw err;
      const name = (err as Error | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new MediaStoreError('MEDIA_TIMEOUT', `${where}: no answer within ${this.#timeoutMs} ms`, { operation });
      }
      // fetch's network failures carry the reason (ECONNREFUSED, ENOTFOUND) on their cause.
      const reason = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
      throw new MediaStoreError(
        'MEDIA_UNREACHABLE',
        `${where}: cannot reach ${new URL(this.#bucketUrl).host}${typeof reason === 'string' ? ` (${reason})` : ''}`,
        { operation },
      );
    }
  }
}

/** Reads an answer we do not need, so its connection goes back to the pool. */
async function drain(res: Response): Promise<void> {
  await res.arrayBuffer();
}

function encodePath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** Virtual-hosted buckets need a DNS name to prefix; an IP or localhost can only take path style. */
function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[');
}
