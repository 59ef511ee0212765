import { fileTypeFromBuffer } from 'file-type';
import { ApiError } from '../errors.ts';

export interface ImageType {
  mime: 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';
  /** The extension stored files get: the name, and so the served Content-Type, follows the bytes. */
  ext: 'png' | 'jpg' | 'webp' | 'gif';
}

const ACCEPTED: Readonly<Record<string, ImageType>> = {
  'image/png': { mime: 'image/png', ext: 'png' },
  'image/jpeg': { mime: 'image/jpeg', ext: 'jpg' },
  'image/webp': { mime: 'image/webp', ext: 'webp' },
  'image/gif': { mime: 'image/gif', ext: 'gif' },
};

/**
 * The image type of `bytes`, judged by their magic numbers. The file name and the declared type
 * are the client's word and are ignored: an executable named avatar.png is refused here.
 */
export async function sniffImage(bytes: Uint8Array): Promise<ImageType> {
  const detected = await fileTypeFromBuffer(bytes);
  const type = detected && ACCEPTED[detected.mime];
  if (!type) {
    throw new ApiError('UNSUPPORTED_IMAGE_TYPE', {
      en: `The upload is ${detected ? `${detected.mime}` : 'of no known type'}, not a PNG, JPEG, WebP or GIF image.`,
      zh: `上传的文件是${detected ? ` ${detected.mime}` : '无法识别的类型'}，不是 PNG、JPEG、WebP 或 GIF 图片。`,
    });
  }
  return type;
}
