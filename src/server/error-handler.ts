import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MediaStoreError } from '../media/index.ts';
import { isOpenDataError } from '../wechat/crypto/index.ts';
import { ApiError, type ErrorBody } from './errors.ts';

/** Fastify's own errors for bad input, by their stable codes. */
const FASTIFY_CODES: Record<string, () => ApiError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ApiError('BODY_TOO_LARGE'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ApiError('UNSUPPORTED_MEDIA_TYPE'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ApiError('INVALID_REQUEST', 'Content-Length does not match the body.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new ApiError('INVALID_JSON', 'The body is empty but Content-Type is application/json.'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ApiError('INVALID_JSON'),
  FST_ERR_RATE_LIMITED: () => new ApiError('RATE_LIMITED'),
};

/**
 * Turns whatever a handler threw into an API error. Known kinds keep their code; anything else is
 * a bug: logged with its stack and answered as INTERNAL without internals.
 */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
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
    const errors = fe.validation.map(describeValidation(fe.validationContext ?? 'body'));
    return new ApiError('INVALID_REQUEST', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  }
  if (fe?.code && FASTIFY_CODES[fe.code]) return FASTIFY_CODES[fe.code]?.();
  // SyntaxError from the JSON parser carries statusCode 400.
  if (fe?.statusCode === 400 && err instanceof SyntaxError) return new ApiError('INVALID_JSON');
  if (fe?.statusCode === 429) return new ApiError('RATE_LIMITED');
  return undefined;
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

export function sendApiError(reply: FastifyReply, err: ApiError): FastifyReply {
  const body: ErrorBody = { code: err.code, message: err.message, ...(err.details && { details: err.details }) };
  return reply.code(err.status).type('application/json; charset=utf-8').send(body);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const known = toApiError(err);
    if (known) {
      // The original error says what failed upstream; every kind we map keeps secrets out of it.
      if (known.status >= 500) request.log.warn({ code: known.code, err }, known.message);
      return sendApiError(reply, known);
    }
    request.log.error({ err }, 'unhandled error');
    return sendApiError(reply, new ApiError('INTERNAL'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendApiError(reply, new ApiError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}
