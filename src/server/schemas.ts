import { type TSchema, Type } from '@sinclair/typebox';

/** Schemas shared by several routes; each route file declares its own body schemas. */
export const ErrorSchema = Type.Object(
  {
    code: Type.String({ description: 'Stable error code; see the README error table' }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { title: 'Error' },
);

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    nickname: Type.Union([Type.String(), Type.Null()]),
    avatarUrl: Type.Union([Type.String(), Type.Null()]),
    gender: Type.Integer({ description: '0 unknown, 1 male, 2 female' }),
    country: Type.Union([Type.String(), Type.Null()]),
    province: Type.Union([Type.String(), Type.Null()]),
    city: Type.Union([Type.String(), Type.Null()]),
    language: Type.Union([Type.String(), Type.Null()]),
    phoneNumber: Type.Union([Type.String(), Type.Null()]),
    phoneCountryCode: Type.Union([Type.String(), Type.Null()]),
    nicknameUnderReview: Type.Boolean({
      description: 'The content check asked for a manual review of the nickname, or could not be made',
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

export const errorResponses = (...statuses: number[]): Record<number, TSchema> =>
  Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
