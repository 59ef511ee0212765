import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

export interface UploadLimits {
  /** The multipart field that carries the image (wx.uploadFile's `name`). */
  field: string;
  maxBytes: number;
}

/**
 * The uploaded bytes, from either form the route takes: multipart/form-data as wx.uploadFile
 * sends it (the file in `limits.field`, other form fields ignored), or the raw image as the body.
 */
export async function readUpload(request: FastifyRequest, limits: UploadLimits): Promise<Buffer> {
  const bytes = request.isMultipart() ? await readMultipartFile(request, limits) : request.body;
  if (!Buffer.isBuffer(bytes)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', UPLOAD_FORMS);
  }
  if (bytes.length === 0)
    throw new ApiError('INVALID_REQUEST', { en: 'The uploaded image is empty.', zh: '上传的图片是空的。' });
  return bytes;
}

export const UPLOAD_FORMS = {
  en: 'Send the image as multipart/form-data (wx.uploadFile), or as the raw body with Content-Type image/* or application/octet-stream.',
  zh: '请以 multipart/form-data（wx.uploadFile）发送图片，或直接作为请求体发送，Content-Type 为 image/* 或 application/octet-stream。',
};

async function readMultipartFile(request: FastifyRequest, limits: UploadLimits): Promise<Buffer> {
  let image: Buffer | undefined;
  let otherField: string | undefined;
  try {
    // Every part is read to the end, so busboy reports a limit hit anywhere in the form.
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname === limits.field && image === undefined) {
        image = await part.toBuffer();
      } else {
        otherField ??= part.fieldname;
        part.file.resume();
      }
    }
  } catch (err) {
    throw uploadError(err, limits) ?? malformed(err);
  }
  if (image !== undefined) return image;
  throw new ApiError(
    'INVALID_REQUEST',
    otherField === undefined
      ? {
          en: `The form holds no file; send the image in the field "${limits.field}".`,
          zh: `表单中没有文件；请把图片放在字段 "${limits.field}" 中发送。`,
        }
      : {
          en: `The image must be in the field "${limits.field}" (wx.uploadFile's name), not "${otherField.slice(0, 64)}".`,
          zh: `图片必须放在字段 "${limits.field}"（wx.uploadFile 的 name）中，而不是 "${otherField.slice(0, 64)}"。`,
        },
    { field: limits.field },
  );
}

/** Upload failures raised by Fastify or @fastify/multipart, as our errors; undefined for others. */
export function uploadError(err: unknown, limits: UploadLimits): ApiError | undefined {
  if (err instanceof ApiError) return err;
  switch ((err as { code?: unknown } | undefined)?.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        'IMAGE_TOO_LARGE',
        {
          en: `The image is larger than ${formatBytes(limits.maxBytes)}; send a smaller one.`,
          zh: `图片超过了 ${formatBytes(limits.maxBytes)}，请发送更小的图片。`,
        },
        { maxBytes: limits.maxBytes },
      );
    case 'FST_FILES_LIMIT':
      return new ApiError('INVALID_REQUEST', {
        en: `Send one file, in the field "${limits.field}".`,
        zh: `只发送一个文件，放在字段 "${limits.field}" 中。`,
      });
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new ApiError('INVALID_REQUEST', {
        en: 'The form has too many fields; send the image and little else.',
        zh: '表单字段太多；只需发送图片。',
      });
    case 'FST_PROTO_VIOLATION':
      return new ApiError('INVALID_REQUEST', {
        en: 'The form uses a reserved field name.',
        zh: '表单使用了保留的字段名。',
      });
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_MP_PREMATURE_CLOSE':
      return new ApiError('INVALID_REQUEST', {
        en: 'The multipart body is incomplete or malformed.',
        zh: 'multipart 请求体不完整或格式错误。',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', UPLOAD_FORMS);
    default:
      return undefined;
  }
}

/** busboy's own parse errors (a missing boundary, a truncated part) are plain Errors about the client's bytes. */
function malformed(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const reason = err.message.slice(0, 120);
  return new ApiError('INVALID_REQUEST', {
    en: `The multipart body is malformed: ${reason}.`,
    zh: `multipart 请求体格式错误：${reason}。`,
  });
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MB` : n % 1024 === 0 ? `${n / 1024} KB` : `${n} bytes`;
}
