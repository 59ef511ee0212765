import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
  HTTPMethods,
} from 'fastify';
import { isCacheUnavailable } from '../cache/index.ts';
import { LANGUAGE_TAGS } from '../i18n/index.ts';
import { MediaStoreError } from '../media/index.ts';
import { isDatabaseUnavailable, isForeignKeyViolation } from '../store/index.ts';
import { isOpenDataError } from '../wechat/crypto/index.ts';
import { preferredLanguage } from './accept-language.ts';
import { answerMalformedRequest } from './client-error.ts';
import { ApiError, type ApiErrorCode, type ErrorBody } from './errors.ts';

/**
 * Retry-After of our own outages: long enough for a pool to reconnect or a balancer to move the
 * client, short enough to feel live. WECHAT_UNAVAILABLE has none: WeChat's -1 is usually over by
 * the next call, and the SDK's own backoff (fresh code, jitter) is the better pace.
 */
const RETRY_AFTER_SECONDS: Partial<Record<ApiErrorCode, string>> = {
  DATABASE_UNAVAILABLE: '2',
  CACHE_UNAVAILABLE: '2',
  MEDIA_UNAVAILABLE: '2',
  SHUTTING_DOWN: '1',
  // Scan-to-login's limits count per minute (codes drawn) or per ticket lifetime (outstanding).
  QR_LOGIN_BUSY: '60',
};

/** Fastify's own errors for bad input, by their stable codes. */
const FASTIFY_CODES: Record<string, () => ApiError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ApiError('BODY_TOO_LARGE'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ApiError('UNSUPPORTED_MEDIA_TYPE'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new ApiError('INVALID_REQUEST', {
      en: 'Content-Length does not match the body.',
      zh: 'Content-Length 与请求体长度不符。',
    }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new ApiError('INVALID_JSON', {
      en: 'The body is empty but Content-Type is application/json.',
      zh: '请求体为空，但 Content-Type 是 application/json。',
    }),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ApiError('INVALID_JSON'),
  FST_ERR_RATE_LIMITED: () => new ApiError('RATE_LIMITED'),
  // Fastify demands a Content-Type of some bodies: a body we cannot type is one we cannot read.
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: () =>
    new ApiError('UNSUPPORTED_MEDIA_TYPE', {
      en: 'The body has no Content-Type; send it as application/json.',
      zh: '请求体没有 Content-Type，请以 application/json 发送。',
    }),
  FST_ERR_BAD_URL: () =>
    new ApiError('INVALID_REQUEST', {
      en: 'The URL path holds a malformed percent-encoding.',
      zh: 'URL 路径中含有格式错误的百分号编码。',
    }),
  // A path segment longer than any route parameter takes: nothing is found under such a name.
  FST_ERR_MAX_PARAM_LENGTH: () => new ApiError('NOT_FOUND'),
};

/**
 * The code for a client error that names only its HTTP status: what Fastify, @fastify/static,
 * @fastify/send (http-errors) and other plugins raise. Any other 4xx is INVALID_REQUEST: the
 * client's mistake is never answered as our 500.
 */
const CLIENT_STATUSES: Readonly<Partial<Record<number, ApiErrorCode>>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  // The file routes refuse traversal, dotfiles (half-written uploads), NUL bytes and
  // non-canonical names with 403; from outside nothing is served under such a name, and a 403
  // would tell a prober which names are there.
  403: 'NOT_FOUND',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  412: 'PRECONDITION_FAILED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/**
 * Turns whatever a handler threw into an API error. Known kinds keep their code; anything else is
 * a bug: logged with its stack and answered as INTERNAL without internals.
 */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  // A dependency that failed is our outage, not a bug: 503 with Retry-After, logged by the handler.
  if (isDatabaseUnavailable(err)) return new ApiError('DATABASE_UNAVAILABLE');
  if (isCacheUnavailable(err)) return new ApiError('CACHE_UNAVAILABLE');
  // The account was deleted (DELETE /v1/me, a WeChat cancellation push) while this request ran.
  if (isForeignKeyViolation(err)) {
    return new ApiError('SESSION_REVOKED', {
      en: 'The account was deleted while this request ran; log in again.',
      zh: '处理这个请求期间账号已被注销，请重新登录。',
    });
  }
  if (err instanceof MediaStoreError) {
    // Logged by the handler (5xx); the client learns only that storage failed.
    return new ApiError('MEDIA_UNAVAILABLE', undefined, { storage: err.code });
  }
  if (isOpenDataError(err)) {
    // INVALID_SESSION_KEY would be our own stored key being bad: a bug, not the client's input.
    if (err.code === 'INVALID_SESSION_KEY') return undefined;
    return new ApiError(err.code, err.message);
  }
  const fe = err as Partial<FastifyError> | undefined;
  if (fe?.validation) {
    const context = fe.validationContext ?? 'body';
    const errors = fe.validation.map(describeValidation(context));
    // details.errors stays English (stable for programs); the message follows the client's language.
    return new ApiError(
      'INVALID_REQUEST',
      {
        en: errors.map((e) => `${e.path} ${e.message}`).join('; '),
        zh: fe.validation.map(describeValidationZh(context)).join('；'),
      },
      { errors },
    );
  }
  if (fe?.code && FASTIFY_CODES[fe.code]) return FASTIFY_CODES[fe.code]?.();
  // SyntaxError from the JSON parser carries statusCode 400.
  if (fe?.statusCode === 400 && err instanceof SyntaxError) return new ApiError('INVALID_JSON');
  const status = clientErrorStatus(err);
  if (status !== undefined) return new ApiError(CLIENT_STATUSES[status] ?? 'INVALID_REQUEST');
  return undefined;
}

/** The 4xx status an error from Fastify or a plugin carries (`statusCode`, or http-errors' `status`). */
function clientErrorStatus(err: unknown): number | undefined {
  const { statusCode, status } = (err ?? {}) as { statusCode?: unknown; status?: unknown };
  const value = typeof statusCode === 'number' ? statusCode : status;
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500 ? value : undefined;
}

/** One schema failure as "where: what", naming the offending property. */
function describeValidation(context: string) {
  return (v: NonNullable<FastifyError['validation']>[number]) => {
    const params = v.params as Record<string, unknown>;
    const where = `${context}${v.instancePath.replaceAll('/', '.')}`;
    if (typeof params.additionalProperty === 'string') {
      return {
        path: where,
        message: `has unknown property "${params.additionalProperty}" (never send openid or unionid)`,
      };
    }
    if (typeof params.missingProperty === 'string') {
      return { path: `${where}.${params.missingProperty}`, message: 'is required' };
    }
    return { path: where, message: v.message ?? 'is invalid' };
  };
}

/** The same failure in Chinese, from ajv's keyword and params (its own messages are English only). */
function describeValidationZh(context: string) {
  return (v: NonNullable<FastifyError['validation']>[number]): string => {
    const params = v.params as Record<string, unknown>;
    const where = `${context}${v.instancePath.replaceAll('/', '.')}`;
    switch (v.keyword) {
      case 'additionalProperties':
        return `${where} 含有未知字段 "${String(params.additionalProperty)}"（切勿发送 openid 或 unionid）`;
      case 'required':
        return `${where}.${String(params.missingProperty)} 是必填项`;
      case 'type':
        return `${where} 的类型应为 ${String(params.type)}`;
      case 'minLength':
        return `${where} 至少需要 ${String(params.limit)} 个字符`;
      case 'maxLength':
        return `${where} 不能超过 ${String(params.limit)} 个字符`;
      case 'pattern':
        return `${where} 的格式应符合 ${String(params.pattern)}`;
      case 'format':
        return `${where} 的格式应为 ${String(params.format)}`;
      case 'enum':
        return `${where} 应为以下值之一：${(params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join('、')}`;
      case 'const':
        return `${where} 应等于 ${JSON.stringify(params.allowedValue)}`;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        return `${where} 应 ${String(params.comparison)} ${String(params.limit)}`;
      case 'minItems':
        return `${where} 至少需要 ${String(params.limit)} 项`;
      case 'maxItems':
        return `${where} 不能超过 ${String(params.limit)} 项`;
      case 'anyOf':
      case 'oneOf':
        return `${where} 不符合任何一种允许的形式`;
      default:
        return `${where} 无效（${v.message ?? v.keyword}）`;
    }
  };
}

/** Our message depends on Accept-Language: caches must keep one copy per language. */
function varyOnAcceptLanguage(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  const current = Array.isArray(vary) ? vary.join(', ') : vary === undefined ? '' : String(vary);
  if (/(^|,)\s*(accept-language|\*)\s*(,|$)/i.test(current)) return;
  reply.header('vary', current === '' ? 'Accept-Language' : `${current}, Accept-Language`);
}

export function sendApiError(reply: FastifyReply, err: ApiError): FastifyReply {
  const language = preferredLanguage(reply.request.headers);
  const message = err.messageIn(language);
  const body: ErrorBody = { code: err.code, message, ...(err.details && { details: err.details }) };
  reply.header('content-language', LANGUAGE_TAGS[language]);
  varyOnAcceptLanguage(reply);
  // Our outages are temporary: say when to come back, so clients (our SDK included) back off.
  const retryAfter = RETRY_AFTER_SECONDS[err.code];
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) reply.header('retry-after', retryAfter);
  return reply.code(err.status).type('application/json; charset=utf-8').send(body);
}

/**
 * Options of the Fastify constructor that route the errors raised outside any route through the
 * same catalogue: a URL the router cannot decode (`frameworkErrors`), and bytes Node's HTTP parser
 * refuses before there is a request at all (`clientErrorHandler`).
 */
export const errorHandlingOptions = {
  frameworkErrors: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    answerError(err, request, reply);
  },
  clientErrorHandler: answerMalformedRequest,
} satisfies Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'>;

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (clientWentAway(err, request)) {
      // A hang-up is the client's doing, not a bug: no stack, no error level.
      request.log.info({ code: (err as { code: string }).code }, 'client aborted the request');
      return sendApiError(
        reply,
        new ApiError('INVALID_REQUEST', {
          en: 'The request ended before its body was complete.',
          zh: '请求在请求体传完之前就结束了。',
        }),
      );
    }
    // No route matched, so nothing would have read the body: what is wrong with it does not matter.
    const known = request.is404 ? toApiError(err) : undefined;
    if (known !== undefined && known.status < 500) return sendApiError(reply, routeMiss(request, reply));
    return answerError(err, request, reply);
  });
  app.setNotFoundHandler((request, reply) => sendApiError(reply, routeMiss(request, reply)));
}

/** Our answer to any error: a catalogue code with its status, or INTERNAL for a bug. */
function answerError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = toApiError(err);
  if (known) {
    // The original error says what failed upstream; every kind we map keeps secrets out of it.
    if (known.status >= 500) request.log.warn({ code: known.code, err }, known.message);
    // Headers a plugin attached to its client error belong to the answer (416's Content-Range).
    const { headers } = err as { headers?: unknown };
    if (!(err instanceof ApiError) && known.status < 500 && typeof headers === 'object' && headers !== null) {
      reply.headers(headers as Record<string, string>);
    }
    return sendApiError(reply, known);
  }
  request.log.error({ err }, 'unhandled error');
  return sendApiError(reply, new ApiError('INTERNAL'));
}

/**
 * 405 with `Allow` when the path is a route that takes other methods (HEAD comes with GET, as
 * Fastify registers it), else 404. A route of this very method that found nothing (a file route
 * without that file) is a 404 as well.
 */
function routeMiss(request: FastifyRequest, reply: FastifyReply): ApiError {
  const path = request.url.split('?')[0] ?? '';
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  const allowed = request.server.supportedMethods.filter(
    (method) => request.server.findRoute({ method: method as HTTPMethods, url: path }) !== null,
  );
  if (allowed.length === 0) {
    return new ApiError('NOT_FOUND', {
      en: `No route ${request.method} ${shown}.`,
      zh: `没有 ${request.method} ${shown} 这个接口。`,
    });
  }
  if (allowed.includes(request.method)) {
    return new ApiError('NOT_FOUND', { en: `Nothing is served at ${shown}.`, zh: `${shown} 下没有内容。` });
  }
  reply.header('allow', allowed.join(', '));
  return new ApiError('METHOD_NOT_ALLOWED', {
    en: `${shown} takes ${allowed.join(', ')}, not ${request.method}.`,
    zh: `${shown} 只接受 ${allowed.join('、')}，不接受 ${request.method}。`,
  });
}

/** The codes of a client that hung up or cut its body short. */
const HANG_UP_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * True when the error is this request's own stream ending early. The same codes from a dependency's
 * socket (database, Redis, storage) are failures of ours, so the request stream must be the one
 * that broke.
 */
function clientWentAway(err: unknown, request: FastifyRequest): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  // Not `raw.destroyed`: a request whose body was read in full is destroyed too, and then an
  // ECONNRESET is a dependency's (the database cut mid-request), which must answer 503. Nor
  // `!raw.complete`: a streamed upload is incomplete while its handler runs, and its database
  // may reset too. The client's own side must have broken.
  if (typeof code !== 'string' || !HANG_UP_CODES.has(code)) return false;
  return request.raw.readableAborted || request.raw.socket?.destroyed === true;
}
