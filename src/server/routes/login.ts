import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveApp } from '../app-resolver.ts';
import type { ServerContext } from '../context.ts';
import { type LoginDeps, login } from '../login/login-flow.ts';
import {
  AppidSchema,
  CodeSchema,
  errorResponses,
  LOGIN_ERRORS,
  OpenDataFields,
  PhoneCodeSchema,
  TokensSchema,
  UserSchema,
} from '../schemas.ts';
import { nextSteps, userView } from '../views.ts';

const LoginBody = Type.Object(
  {
    code: CodeSchema,
    appid: Type.Optional(AppidSchema),
    encryptedData: Type.Optional(OpenDataFields.encryptedData),
    iv: Type.Optional(OpenDataFields.iv),
    rawData: OpenDataFields.rawData,
    signature: OpenDataFields.signature,
    phoneCode: Type.Optional({
      ...PhoneCodeSchema,
      description: 'The getPhoneNumber button code: the user gets the phone number in the same round trip',
    }),
  },
  { additionalProperties: false },
);
type LoginBody = Static<typeof LoginBody>;

export const LoginResponse = Type.Object({
  ...TokensSchema,
  user: UserSchema,
  isNewUser: Type.Boolean(),
  next: Type.Array(Type.String(), { description: 'profile_incomplete, phone_missing' }),
});

export function clientMeta(request: FastifyRequest) {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 256) : undefined };
}

export function loginDeps(ctx: ServerContext, request: FastifyRequest): LoginDeps {
  return {
    store: ctx.store,
    wechat: ctx.wechat,
    tokens: ctx.tokens,
    metrics: ctx.metrics,
    codeExchanges: ctx.codeExchanges,
    openDataMaxAgeSeconds: ctx.config.openDataMaxAgeSeconds,
    now: ctx.now,
    accessTokens: ctx.accessTokens,
    phoneLinkPolicy: ctx.config.phoneLinkPolicy,
    log: request.log,
    config: ctx.config,
  };
}

/** Flow 1: POST /v1/login. */
export async function loginRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.post<{ Body: LoginBody }>(
    '/v1/login',
    {
      config: { rateLimit: { max: ctx.config.loginRateLimitPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['login'],
        summary: 'Log in with a wx.login code (optionally storing getUserInfo data in the same call)',
        body: LoginBody,
        response: { 200: LoginResponse, ...errorResponses(...LOGIN_ERRORS, 'INVALID_PHONE_CODE') },
      },
    },
    async (request) => {
      const body = request.body;
      const app = resolveApp(ctx.config, request, body.appid);
      const profile =
        body.encryptedData !== undefined || body.iv !== undefined
          ? {
              encryptedData: body.encryptedData ?? '',
              iv: body.iv ?? '',
              rawData: body.rawData,
              signature: body.signature,
            }
          : undefined;
      const outcome = await login(loginDeps(ctx, request), {
        app,
        code: body.code,
        profile,
        phoneCode: body.phoneCode,
        meta: clientMeta(request),
      });
      return {
        accessToken: outcome.tokens.accessToken,
        refreshToken: outcome.tokens.refreshToken,
        tokenType: 'Bearer' as const,
        expiresIn: outcome.tokens.expiresIn,
        user: userView(outcome.user),
        isNewUser: outcome.isNewUser,
        next: nextSteps(outcome.user),
      };
    },
  );
}
