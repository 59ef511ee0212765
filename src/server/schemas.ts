import { type TSchema, Type } from '@sinclair/typebox';
import { API_ERRORS, type ApiErrorCode } from './errors.ts';

/** Schemas shared by several routes; each route file declares its own body schemas. */
export const ErrorSchema = Type.Object(
  {
    code: Type.String({ description: 'Stable error code; see the README error table' }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { title: 'Error' },
);

/**
 * A string or null, as `type: ['string', 'null']` rather than TypeBox's Union (an anyOf): the
 * OpenAPI document is the same (@fastify/swagger writes both as `nullable: true`), but
 * fast-json-stringify serializes an anyOf by running an ajv validator on the value for each member,
 * eight times per user answered; a type list is a typeof check. For response schemas: a body's
 * schema is ajv's, which wants allowUnionTypes for a type list.
 */
export function NullableString(options: { description?: string } = {}) {
  return Type.Unsafe<string | null>({ ...options, type: ['string', 'null'] });
}

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    nickname: NullableString(),
    avatarUrl: NullableString(),
    gender: Type.Integer({ description: '0 unknown, 1 male, 2 female' }),
    country: NullableString(),
    province: NullableString(),
    city: NullableString(),
    language: NullableString(),
    phoneNumber: NullableString(),
    phoneCountryCode: NullableString(),
    nicknameUnderReview: Type.Boolean({
      description: 'The content check asked for a manual review of the nickname, or could not be made',
    }),
    avatarUnderReview: Type.Boolean({
      description:
        "WeChat's avatar check (CONTENT_CHECK=on) has not answered yet, asked for a manual review, or could not be made",
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'User' },
);

/** What the /v1/me routes answer: the user, and what the client may want to ask for next. */
export const MeResponse = Type.Object({
  user: UserSchema,
  next: Type.Array(Type.String(), { description: 'profile_incomplete, phone_missing' }),
});

export const TokensSchema = {
  accessToken: Type.String({ description: 'JWT (EdDSA); send as Authorization: Bearer' }),
  refreshToken: Type.String({ description: 'Opaque; trade at /v1/token/refresh. Rotated on every use.' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
};

/** getUserInfo / getUserProfile output as the mini program receives it. */
export const OpenDataFields = {
  encryptedData: Type.String({ minLength: 1, maxLength: 8192 }),
  iv: Type.String({ minLength: 1, maxLength: 64 }),
  rawData: Type.Optional(Type.String({ maxLength: 4096 })),
  signature: Type.Optional(Type.String({ maxLength: 64 })),
};

/** The code from wx.login: 32 characters today; accept a little slack but not megabytes. */
export const CodeSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[0-9A-Za-z_-]+$' });

/** The code from the getPhoneNumber button (64 hex today), not a wx.login code. */
export const PhoneCodeSchema = Type.String({ minLength: 1, maxLength: 256, pattern: '^[0-9A-Za-z_-]+$' });

export const AppidSchema = Type.String({ pattern: '^wx[0-9a-zA-Z]{16}$' });

const CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

/** What decrypting open data (getUserInfo, the legacy phone form) with a stored session_key can refuse. */
export const OPEN_DATA_ERRORS = [
  'INVALID_IV',
  'MALFORMED_CIPHERTEXT',
  'DECRYPT_FAILED',
  'INVALID_PLAINTEXT',
  'WATERMARK_MISMATCH',
  'DATA_EXPIRED',
  'SIGNATURE_MISMATCH',
  'SESSION_KEY_STALE',
] as const satisfies readonly ApiErrorCode[];

/** What a call to WeChat can turn into (./wechat-errors.ts). */
export const WECHAT_ERRORS = [
  'WECHAT_RATE_LIMITED',
  'WECHAT_UNAVAILABLE',
  'WECHAT_CONFIG_ERROR',
  'WECHAT_ERROR',
] as const satisfies readonly ApiErrorCode[];

/** POST /v1/login and /wx/login: the code exchange, the user, the optional profile. */
export const LOGIN_ERRORS = [
  'UNKNOWN_APP',
  'INVALID_CODE',
  'CODE_USED',
  'CODE_BLOCKED',
  'UNIONID_CONFLICT',
  'SIGNUP_RISK_REFUSED',
  'SIGNUP_RISK_UNAVAILABLE',
  ...OPEN_DATA_ERRORS,
  ...WECHAT_ERRORS,
  'DATABASE_UNAVAILABLE',
  'CACHE_UNAVAILABLE',
] as const satisfies readonly ApiErrorCode[];

/**
 * A route's error answers for its schema's `response`, by HTTP status, each naming the `code`s it
 * can carry (the OpenAPI document at /docs lists them). Name codes; a bare status stands for every
 * code of that status. Errors any route may answer (a shutdown, a slow request…) are added to the
 * document by ./openapi.ts.
 */
export function errorResponses(...errors: (ApiErrorCode | number)[]): Record<number, TSchema> {
  const byStatus = new Map<number, Set<ApiErrorCode>>();
  for (const error of errors) {
    const codes = typeof error === 'number' ? CODES.filter((c) => API_ERRORS[c].status === error) : [error];
    for (const code of codes) {
      const status = API_ERRORS[code].status;
      byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
    }
  }
  return Object.fromEntries([...byStatus].map(([status, codes]) => [status, errorSchema([...codes])]));
}

/** The error body with `code` narrowed to `codes`, each explained in the description. */
export function errorSchema(codes: readonly ApiErrorCode[]): TSchema {
  const sorted = CODES.filter((c) => codes.includes(c));
  return Type.Object(
    {
      code: Type.Unsafe<ApiErrorCode>({ type: 'string', enum: sorted, description: 'Stable error code' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { description: sorted.map((c) => `\`${c}\`: ${API_ERRORS[c].message}`).join('\n\n') },
  );
}
