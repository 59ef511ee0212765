import { createHash } from 'node:crypto';

/**
 * The key of `bytes` in a MediaStore: their SHA-256 and the extension of their sniffed type. Equal
 * bytes share one object, and a key reveals nothing about who uploaded it.
 */
export function contentKey(bytes: Uint8Array, extension: string): string {
  return `${createHash('sha256').update(bytes).digest('hex')}.${extension}`;
}
