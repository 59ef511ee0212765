import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { assertMediaKey, MEDIA_KEY, type MediaObject, type MediaStore, type StoredMedia } from './media-store.ts';

export interface LocalMediaStoreOptions {
  /** Created when missing. */
  directory: string;
  /** Absolute URL the directory is served under, e.g. https://auth.example.com/media/avatars */
  publicBase: string;
}

/** Content types by the extensions contentKey() gives the image types we accept. */
const TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

/**
 * The default MediaStore: files in a local directory, which the server itself serves. Fine for one
 * instance or a shared volume; several instances without a shared volume need object storage.
 */
export class LocalMediaStore implements MediaStore {
  readonly directory: string;
  readonly #publicBase: string;

  constructor(options: LocalMediaStoreOptions) {
    this.directory = resolve(options.directory);
    this.#publicBase = options.publicBase.replace(/\/+$/, '');
    mkdirSync(this.directory, { recursive: true });
  }

  async put(object: MediaObject): Promise<void> {
    assertMediaKey(object.key);
    const target = join(this.directory, object.key);
    // Already there: same bytes. Its mtime is what pruning goes by, so this upload counts as new.
    if (await touch(target)) return;
    // Written aside, then renamed: a reader never sees half a file, and two identical uploads
    // racing each other both end with the same complete file.
    const partial = join(this.directory, `.partial-${randomBytes(8).toString('hex')}`);
    try {
      await writeFile(partial, object.bytes, { mode: 0o644 });
      await rename(partial, target);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<MediaObject | undefined> {
    assertMediaKey(key);
    try {
      const bytes = await readFile(join(this.directory, key));
      return { key, bytes, contentType: TYPES[extname(key).slice(1)] ?? 'application/octet-stream' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  urlOf(key: string): string {
    assertMediaKey(key);
    return `${this.#publicBase}/${key}`;
  }

  async *list(): AsyncIterable<StoredMedia> {
    for (const entry of await readdir(this.directory, { withFileTypes: true })) {
      // Partial uploads (dotfiles) and anything an operator left here are not ours to list.
      if (!entry.isFile() || !MEDIA_KEY.test(entry.name)) continue;
      const stats = await stat(join(this.directory, entry.name)).catch(ignoreMissing);
      if (stats) yield { key: entry.name, storedAt: stats.mtimeMs };
    }
  }

  async delete(key: string): Promise<void> {
    assertMediaKey(key);
    await rm(join(this.directory, key), { force: true });
  }
}

/** Sets the file's times to now; false when there is no such file. */
async function touch(path: string): Promise<boolean> {
  const now = new Date();
  return utimes(path, now, now).then(
    () => true,
    (err) => ignoreMissing(err) ?? false,
  );
}

/** Undefined for "no such file" (deleted meanwhile); any other error is rethrown. */
function ignoreMissing(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw err;
}
