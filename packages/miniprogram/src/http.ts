import { AuthError } from './errors.ts';
import { invoke } from './invoke.ts';
import { retryAfterMs } from './retry.ts';
import type { HttpMethod, WxApi, WxRequestResult, WxUploadFileResult } from './wx-api.ts';

export type { HttpMethod };

export interface AuthRequestOptions {
  /** A path under `baseUrl` ("/v1/me") or an absolute URL of another backend that verifies our tokens. */
  url: string;
  method?: HttpMethod;
  data?: string | Record<string, unknown> | ArrayBuffer;
  header?: Record<string, string>;
  /** ms; default the SDK's `timeoutMs`. */
  timeout?: number;
  dataType?: 'json' | 'text';
  responseType?: 'text' | 'arraybuffer';
  /** Send the access token (default true). false sends the request as is. */
  auth?: boolean;
  /**
   * Send once more after a 503 or a network failure. Default: true for GET, HEAD, PUT, DELETE and
   * OPTIONS, false for POST and PATCH, which a second send may apply twice.
   */
  retry?: boolean;
}

export interface AuthResponse<T = unknown> {
  data: T;
  statusCode: number;
  header: Record<string, string>;
}

/** wx.request, promise-based; `success` fires for every HTTP status, so only a network failure rejects. */
export function send(
  wx: WxApi,
  url: string,
  options: AuthRequestOptions,
  token: string | undefined,
  timeoutMs: number,
): Promise<AuthResponse> {
  const header: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.header ?? {})) {
    if (name.toLowerCase() !== 'authorization' || !token) header[name] = value;
  }
  if (token) header.Authorization = `Bearer ${token}`;
  return invoke<WxRequestResult>('request', (settle) =>
    wx.request({
      url,
      method: options.method ?? 'GET',
      header,
      timeout: options.timeout ?? timeoutMs,
      dataType: options.dataType ?? 'json',
      responseType: options.responseType ?? 'text',
      ...(options.data !== undefined && { data: options.data }),
      ...settle,
    }),
  ).then((res) => ({
    data: res.data,
    statusCode: res.statusCode,
    header: (res.header ?? {}) as Record<string, string>,
  }));
}

/** The file part of a wx.uploadFile: a local (temporary) path, sent in the multipart field `name`. */
export interface FileUpload {
  filePath: string;
  name: string;
}

/**
 * wx.uploadFile, promise-based, with the access token. WeChat hands the answer over as a string
 * whatever its type: parsed here when it is JSON. Like `send`, only an upload without answer rejects.
 */
export function sendFile(
  wx: WxApi,
  url: string,
  file: FileUpload,
  token: string | undefined,
  timeoutMs: number,
  header: Record<string, string> = {},
): Promise<AuthResponse> {
  return invoke<WxUploadFileResult>('uploadFile', (settle) =>
    wx.uploadFile({
      url,
      filePath: file.filePath,
      name: file.name,
      header: token ? { ...header, Authorization: `Bearer ${token}` } : header,
      timeout: timeoutMs,
      ...settle,
    }),
  ).then((res) => ({ data: parsed(res.data), statusCode: res.statusCode, header: {} }));
}

function parsed(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A non-2xx answer as an AuthError: our `{code, message}` body when there is one, and its Retry-After. */
export function answerError(res: AuthResponse): AuthError {
  const wait = retryAfterMs(res.header);
  const init = { statusCode: res.statusCode, ...(wait !== undefined && { retryAfterMs: wait }) };
  const body = res.data as { code?: unknown; message?: unknown; details?: unknown } | null;
  if (body && typeof body === 'object' && typeof body.code === 'string') {
    const details =
      body.details && typeof body.details === 'object' ? (body.details as Record<string, unknown>) : undefined;
    return new AuthError(body.code, typeof body.message === 'string' ? body.message : body.code, {
      ...init,
      ...(details && { details }),
    });
  }
  return new AuthError('HTTP_ERROR', `HTTP ${res.statusCode}`, init);
}

export function isOk(res: AuthResponse): boolean {
  return res.statusCode >= 200 && res.statusCode < 300;
}
