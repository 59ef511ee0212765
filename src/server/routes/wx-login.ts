import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveApp } from '../app-resolver.ts';
import type { ServerContext } from '../context.ts';
import { login } from '../login/login-flow.ts';
import { AppidSchema, CodeSchema, errorResponses, LOGIN_ERRORS, OpenDataFields, TokensSchema } from '../schemas.ts';
import { clientMeta, loginDeps } from './login.ts';

const WxLoginInput = Type.Object({
  code: CodeSchema,
  ...OpenDataFields,
  appid: Type.Optional(AppidSchema),
});
type WxLoginInput = Static<typeof WxLoginInput>;

const nullableString = Type.Union([Type.String(), Type.Null()]);
const WxLoginResponse = Type.Object({
  openId: Type.String(),
  nickName: nullableString,
  avatarUrl: nullableString,
  gender: Type.Integer(),
  city: nullableString,
  province: nullableString,
  country: nullableString,
  language: Type.Optional(nullableString),
  unionId: Type.Optional(Type.String()),
  userId: Type.String({ description: 'Our user id' }),
  ...TokensSchema,
});

/**
 * Flow 2: the contract of the classic tutorial (a Laravel controller + WXBizDataCrypt): send the
 * code with the getUserInfo output, get the decrypted profile back — plus our tokens, made safe:
 * the session_key stays here, the watermark and signature are checked.
 */
export async function wxLoginRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const handler = async (request: FastifyRequest, input: WxLoginInput) => {
    const wxApp = resolveApp(ctx.config, request, input.appid);
    const outcome = await login(loginDeps(ctx, request), {
      app: wxApp,
      code: input.code,
      profile: { encryptedData: input.encryptedData, iv: input.iv, rawData: input.rawData, signature: input.signature },
      meta: clientMeta(request),
    });
    const data = outcome.openData ?? {};
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const unionId = str(data.unionId) ?? outcome.identity.unionid;
    return {
      openId: outcome.identity.openid,
      nickName: str(data.nickName),
      avatarUrl: str(data.avatarUrl),
      gender: typeof data.gender === 'number' ? data.gender : 0,
      city: str(data.city),
      province: str(data.province),
      country: str(data.country),
      language: str(data.language),
      ...(unionId && { unionId }),
      userId: outcome.user.id,
      accessToken: outcome.tokens.accessToken,
      refreshToken: outcome.tokens.refreshToken,
      tokenType: 'Bearer' as const,
      expiresIn: outcome.tokens.expiresIn,
    };
  };
  const common = {
    config: { rateLimit: { max: ctx.config.loginRateLimitPerMinute, timeWindow: 60_000 } },
    tags: ['login'],
    response: { 200: WxLoginResponse, ...errorResponses(...LOGIN_ERRORS) },
  };
  app.get<{ Querystring: WxLoginInput }>(
    '/wx/login',
    {
      config: common.config,
      schema: {
        tags: common.tags,
        summary: 'Seed-compatible login: code + encryptedData + iv in the query string (never logged)',
        querystring: WxLoginInput,
        response: common.response,
      },
    },
    (request) => handler(request, request.query),
  );
  app.post<{ Body: WxLoginInput }>(
    '/wx/login',
    {
      config: common.config,
      schema: {
        tags: common.tags,
        summary: 'Seed-compatible login: code + encryptedData + iv as a JSON body',
        body: WxLoginInput,
        response: common.response,
      },
    },
    (request) => handler(request, request.body),
  );
}
