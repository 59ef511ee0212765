import type { WxFailResult } from './convention.ts';

export interface RequestContext {
  fetch: typeof fetch;
  /** Headers WeChat adds that the mini program cannot set (Referer, or X-WX-AppId in a browser). */
  platformHeaders: Record<string, string>;
  /** Origins a request may go to, like the app's "request domains"; undefined allows any. */
  allowedOrigins: readonly string[] | undefined;
  onSettled(ok: boolean, detail: Record<string, unknown>): void;
}

type RequestOption = WechatMiniprogram.RequestOption;
type RequestResult = WechatMiniprogram.RequestSuccessCallbackResult;

/** GET/HEAD data becomes the query string, `encodeURIComponent(k)=encodeURIComponent(v)`. */
function withQuery(url: string, data: RequestOption['data']): string {
  if (data === undefined || data === null) return url;
  const query =
    typeof data === 'string'
      ? data
      : data instanceof ArrayBuffer
        ? ''
        : Object.entries(data)
            .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
            .join('&');
  if (query === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

function body(data: RequestOption['data'], contentType: string): string | ArrayBuffer | undefined {
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string' || data instanceof ArrayBuffer) return data;
  if (contentType.includes('application/x-www-form-urlencoded')) {
    return Object.entries(data)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
  }
  return JSON.stringify(data);
}

export function emptyProfile(): WechatMiniprogram.RequestProfile {
  const zero = 0;
  return {
    SSLconnectionEnd: zero,
    SSLconnectionStart: zero,
    connectEnd: zero,
    connectStart: zero,
    domainLookUpEnd: zero,
    domainLookUpStart: zero,
    downstreamThroughputKbpsEstimate: zero,
    estimate_nettype: zero,
    fetchStart: zero,
    httpDNSDomainLookUpEnd: zero,
    httpDNSDomainLookUpStart: zero,
    httpRttEstimate: zero,
    invokeStart: zero,
    peerIP: '',
    port: zero,
    protocol: 'http/1.1',
    queueEnd: zero,
    queueStart: zero,
    receivedBytedCount: zero,
    redirectEnd: zero,
    redirectStart: zero,
    requestEnd: zero,
    requestStart: zero,
    responseEnd: zero,
    responseStart: zero,
    rtt: zero,
    sendBytesCount: zero,
    socketReused: false,
    throughputKbps: zero,
    transportRttEstimate: zero,
    usingHighPerformanceMode: false,
  };
}

function failure(reason: string): WechatMiniprogram.RequestFailCallbackErr {
  // 600001 is WeChat's errno for a request that got no answer; the text after "request:fail" varies.
  return {
    errMsg: `request:fail ${reason}`,
    errno: 600001,
    exception: { reasons: [], retryCount: 0 },
    useHttpDNS: false,
  };
}

/**
 * wx.request over real HTTP: the method's data serialization, `success` for every HTTP status
 * (JSON parsed when dataType is json and the body parses), `fail` with "request:fail …" only when
 * no answer came (network, timeout, abort, a domain outside the list).
 */
export function wxRequest(options: RequestOption, ctx: RequestContext): WechatMiniprogram.RequestTask {
  const controller = new AbortController();
  const headerListeners = new Set<(result: WechatMiniprogram.RequestTaskOnHeadersReceivedListenerResult) => void>();
  let why = 'abort';

  const run = async (): Promise<RequestResult> => {
    const method = (options.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(method === 'GET' || method === 'HEAD' ? withQuery(options.url, options.data) : options.url);
    } catch {
      throw failure('invalid url');
    }
    if (ctx.allowedOrigins && !ctx.allowedOrigins.includes(url.origin)) throw failure('url not in domain list');
    const header: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(options.header ?? {})) {
      // The mini program cannot set Referer: WeChat owns it.
      if (name.toLowerCase() !== 'referer') header[name.toLowerCase()] = String(value);
    }
    Object.assign(header, ctx.platformHeaders);
    const timer = setTimeout(() => {
      why = 'timeout';
      controller.abort();
    }, options.timeout ?? 60_000);
    let res: Response;
    let raw: string | ArrayBuffer;
    try {
      res = await ctx.fetch(url, {
        method,
        headers: header,
        signal: controller.signal,
        ...(method !== 'GET' && method !== 'HEAD' && { body: body(options.data, header['content-type'] ?? '') }),
      });
      const responseHeader = Object.fromEntries(res.headers.entries());
      for (const listener of headerListeners)
        listener({ header: responseHeader, cookies: cookiesOf(res), statusCode: res.status });
      raw = options.responseType === 'arraybuffer' ? await res.arrayBuffer() : await res.text();
    } catch (err) {
      throw failure(controller.signal.aborted ? why : (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
    let data: RequestResult['data'] = raw;
    if (typeof raw === 'string' && (options.dataType ?? 'json') === 'json') {
      try {
        data = JSON.parse(raw) as RequestResult['data'];
      } catch {
        // WeChat hands over the text when it does not parse.
      }
    }
    return {
      data,
      statusCode: res.status,
      header: Object.fromEntries(res.headers.entries()),
      cookies: cookiesOf(res),
      errMsg: 'request:ok',
      profile: emptyProfile(),
      exception: { reasons: [], retryCount: 0 },
      useHttpDNS: false,
    };
  };

  run().then(
    (result) => {
      ctx.onSettled(true, { statusCode: result.statusCode, header: result.header, data: result.data });
      options.success?.(result);
      options.complete?.(result);
    },
    (err: WechatMiniprogram.RequestFailCallbackErr) => {
      const result = 'errMsg' in err ? err : failure(String(err));
      ctx.onSettled(false, { errMsg: result.errMsg });
      options.fail?.(result);
      options.complete?.(result as WxFailResult as WechatMiniprogram.GeneralCallbackResult);
    },
  );

  return {
    abort: () => controller.abort(),
    onHeadersReceived: (listener) => {
      headerListeners.add(listener);
    },
    offHeadersReceived: (listener) => {
      if (listener) headerListeners.delete(listener);
      else headerListeners.clear();
    },
    // Chunked transfer (enableChunked) is not emulated: the body arrives whole.
    onChunkReceived: () => undefined,
    offChunkReceived: () => undefined,
  };
}

function cookiesOf(res: Response): string[] {
  return typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [];
}
