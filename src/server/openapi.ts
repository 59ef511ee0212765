import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import { AVATAR_PATH } from './avatars/avatar-store.ts';
import { API_ERRORS, type ApiErrorCode } from './errors.ts';
import { errorSchema } from './schemas.ts';

/** What any route may answer, whatever it does: a request too slow or too big to read, a shutdown, a bug. */
const ANY_ROUTE: readonly ApiErrorCode[] = ['REQUEST_TIMEOUT', 'HEADERS_TOO_LARGE', 'SHUTTING_DOWN', 'INTERNAL'];
/** What a route with a JSON body may answer before its handler runs. */
const JSON_BODY: readonly ApiErrorCode[] = [
  'INVALID_REQUEST',
  'INVALID_JSON',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
];
/** What a route behind `Authorization: Bearer` may answer (./authenticate.ts). */
const BEARER: readonly ApiErrorCode[] = ['UNAUTHORIZED', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'SESSION_REVOKED'];
/**
 * What a bearer route acting for a mini program answers a website's token (scan-to-login): every
 * bearer route but those whose config says `webSession: true` (they serve both sessions).
 */
const APP_ONLY: readonly ApiErrorCode[] = ['APP_TOKEN_REQUIRED'];

/** The local avatar files, served by @fastify/static under a wildcard: documented as one path. */
const AVATAR_FILE = {
  tags: ['media'],
  summary: 'An uploaded avatar (local storage); names are content hashes, cached for a year',
  params: Type.Object({ name: Type.String({ description: '<sha256>.<png|jpg|webp|gif>' }) }),
  response: {
    200: Type.Unsafe({ description: 'The image, with Cache-Control: immutable; Range and conditional requests work' }),
  },
  errors: ['NOT_FOUND', 'PRECONDITION_FAILED', 'RANGE_NOT_SATISFIABLE'] as ApiErrorCode[],
};

interface RouteSchema {
  hide?: boolean;
  body?: unknown;
  security?: unknown[];
  response?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The document at /docs: every public route with each error answer and its codes. Routes declare
 * their own codes (`errorResponses` in ./schemas.ts); the codes every route, every JSON body and
 * every bearer route may answer are added here, so no route has to repeat them.
 */
export function openapiOptions(): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      info: {
        title: 'weapp-auth',
        version: '0.1.0',
        description:
          'Login and user-authorization backend for WeChat Mini Programs. Every error is {code, message, details?}; ' +
          "each route lists its error answers with the codes they carry, and the README's error table says what to do. " +
          'This document is in English; the `message` of an error answer is in Chinese when the request prefers it ' +
          '(Accept-Language: zh, zh-CN, zh-TW…; the answer says which in Content-Language), and `code` is the same in both.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: ({ schema, url, route }) => {
      if (url === `${AVATAR_PATH}/*`) {
        const { errors, ...rest } = AVATAR_FILE;
        return { url: `${AVATAR_PATH}/{name}`, schema: withErrors(rest, errors) as never };
      }
      const routeSchema = schema as RouteSchema | undefined;
      if (!routeSchema || routeSchema.hide) return { schema, url };
      const errors = [
        ...(routeSchema.body !== undefined ? JSON_BODY : []),
        ...(routeSchema.security?.length ? BEARER : []),
        ...(routeSchema.security?.length && !(route.config as { webSession?: boolean } | undefined)?.webSession
          ? APP_ONLY
          : []),
        ...((route.config as { rateLimit?: unknown } | undefined)?.rateLimit ? (['RATE_LIMITED'] as const) : []),
      ];
      return { schema: withErrors(routeSchema, errors) as never, url };
    },
  };
}

/** `schema` with `errors` and ANY_ROUTE merged into its error answers (the route's own schema is left as is). */
function withErrors(schema: RouteSchema, errors: readonly ApiErrorCode[]): RouteSchema {
  const response: Record<string, unknown> = { ...schema.response };
  const byStatus = new Map<string, Set<ApiErrorCode>>();
  for (const [status, answer] of Object.entries(response)) {
    const codes = codesOf(answer);
    if (codes) byStatus.set(status, new Set(codes));
  }
  for (const code of [...errors, ...ANY_ROUTE]) {
    const status = String(statusOf(code));
    // A status the route answers with a body of its own (/readyz's 503) keeps that body.
    if (response[status] !== undefined && !byStatus.has(status)) continue;
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  for (const [status, codes] of byStatus) response[status] = errorSchema([...codes]);
  return { ...schema, response };
}

function codesOf(answer: unknown): ApiErrorCode[] | undefined {
  const codes = (answer as { properties?: { code?: { enum?: unknown } } }).properties?.code?.enum;
  return Array.isArray(codes) ? (codes as ApiErrorCode[]) : undefined;
}

function statusOf(code: ApiErrorCode): number {
  return API_ERRORS[code].status;
}
