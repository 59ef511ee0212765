import type { WxFailResult } from './convention.ts';
import { emptyProfile, type RequestContext } from './request.ts';

/** The phone's local files: temporary paths ("wxfile://tmp_…") and their bytes. */
export type LocalFiles = Map<string, Uint8Array>;

export interface UploadContext extends RequestContext {
  files: LocalFiles;
}

type UploadOption = WechatMiniprogram.UploadFileOption;
type UploadResult = WechatMiniprogram.UploadFileSuccessCallbackResult;

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** The part's declared type, from the name's extension as a phone would guess it (servers should sniff). */
function typeOf(path: string): string {
  return TYPES[path.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}

const fail = (reason: string): WxFailResult => ({ errMsg: `uploadFile:fail ${reason}` });

/**
 * wx.uploadFile over real HTTP: a POST of multipart/form-data holding the `formData` fields and
 * the file at `filePath` in the field `name`. `success` for every HTTP status with the body as a
 * string (WeChat never parses it); `fail` with "uploadFile:fail …" when no answer came or the
 * file is not on the phone. No promise style, as on WeChat.
 */
export function wxUploadFile(options: UploadOption, ctx: UploadContext): WechatMiniprogram.UploadTask {
  const controller = new AbortController();
  const progressListeners = new Set<(result: WechatMiniprogram.UploadTaskOnProgressUpdateListenerResult) => void>();
  const headerListeners = new Set<(result: WechatMiniprogram.DownloadTaskOnHeadersReceivedListenerResult) => void>();
  let why = 'abort';

  const run = async (): Promise<UploadResult> => {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw fail('invalid url');
    }
    if (ctx.allowedOrigins && !ctx.allowedOrigins.includes(url.origin)) throw fail('url not in domain list');
    const bytes = ctx.files.get(options.filePath);
    if (bytes === undefined) throw fail(`file not found: ${options.filePath}`);
    const form = new FormData();
    for (const [key, value] of Object.entries(options.formData ?? {})) form.append(key, String(value));
    const name = options.filePath.split('/').pop() ?? 'file';
    form.append(options.name, new Blob([new Uint8Array(bytes)], { type: typeOf(name) }), name);
    const header: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.header ?? {})) {
      // WeChat owns Referer, and the content-type carries the form's boundary.
      const lower = key.toLowerCase();
      if (lower !== 'referer' && lower !== 'content-type') header[lower] = String(value);
    }
    Object.assign(header, ctx.platformHeaders);
    const timer = setTimeout(() => {
      why = 'timeout';
      controller.abort();
    }, options.timeout ?? 60_000);
    try {
      const res = await ctx.fetch(url, { method: 'POST', headers: header, body: form, signal: controller.signal });
      const sent = bytes.byteLength;
      for (const listener of progressListeners) {
        listener({ progress: 100, totalBytesSent: sent, totalBytesExpectedToSend: sent });
      }
      for (const listener of headerListeners) listener({ header: Object.fromEntries(res.headers.entries()) });
      const data = await res.text();
      return { data, statusCode: res.status, errMsg: 'uploadFile:ok', profile: emptyProfile() };
    } catch (err) {
      throw fail(controller.signal.aborted ? why : (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  };

  run().then(
    (result) => {
      ctx.onSettled(true, { statusCode: result.statusCode, data: result.data });
      options.success?.(result);
      options.complete?.(result);
    },
    (err: unknown) => {
      const result = err && typeof err === 'object' && 'errMsg' in err ? (err as WxFailResult) : fail(String(err));
      ctx.onSettled(false, { errMsg: result.errMsg });
      options.fail?.(result);
      options.complete?.(result);
    },
  );

  return {
    abort: () => controller.abort(),
    onProgressUpdate: (listener) => {
      progressListeners.add(listener);
    },
    offProgressUpdate: (listener) => {
      if (listener) progressListeners.delete(listener);
      else progressListeners.clear();
    },
    onHeadersReceived: (listener) => {
      headerListeners.add(listener);
    },
    offHeadersReceived: (listener) => {
      if (listener) headerListeners.delete(listener);
      else headerListeners.clear();
    },
  };
}
