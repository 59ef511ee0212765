import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authOf, requireUser } from '../authenticate.ts';
import type { ServerContext } from '../context.ts';
import { currentIdentity } from '../current-user.ts';
import { ApiError } from '../errors.ts';
import type { OpenDataInput } from '../login/open-data.ts';
import { bindPhone, type PhoneVerification } from '../phone/bind-phone.ts';
import { phoneByCode, phoneFromOpenData } from '../phone/phone-number.ts';
import {
  errorResponses,
  MeResponse,
  OPEN_DATA_ERRORS,
  OpenDataFields,
  PhoneCodeSchema,
  WECHAT_ERRORS,
} from '../schemas.ts';
import { nextSteps, userView } from '../views.ts';

// The button's whole `e.detail` may be posted as is: cloudID, errno and unknown fields are ignored.
const PhoneBody = Type.Object({
  code: Type.Optional(PhoneCodeSchema),
  encryptedData: Type.Optional(OpenDataFields.encryptedData),
  iv: Type.Optional(OpenDataFields.iv),
  errMsg: Type.Optional(Type.String({ maxLength: 256 })),
  verification: Type.Optional(
    Type.Union([Type.Literal('quick'), Type.Literal('realtime')], {
      description:
        'The button behind the code: quick (getPhoneNumber, the default) or realtime (getRealtimePhoneNumber); billed apart',
    }),
  ),
});
type PhoneBody = Static<typeof PhoneBody>;

type PhoneProof = { kind: 'code'; code: string } | { kind: 'legacy'; data: OpenDataInput };

/** `verification`, else what the posted `e.detail` says ("getRealtimePhoneNumber:ok"). */
function verificationOf(body: PhoneBody): PhoneVerification {
  if (body.verification !== undefined) return body.verification;
  return body.errMsg?.startsWith('getRealtimePhoneNumber:') ? 'realtime' : 'quick';
}

/** Flow 5: POST /v1/me/phone with what the getPhoneNumber button gave. */
export async function phoneRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.post<{ Body: PhoneBody }>(
    '/v1/me/phone',
    {
      preHandler: requireUser(ctx),
      schema: {
        tags: ['me'],
        summary:
          'Bind the phone number: {code} from the getPhoneNumber or getRealtimePhoneNumber button, or the legacy {encryptedData, iv}',
        security: [{ bearer: [] }],
        body: PhoneBody,
        response: {
          200: MeResponse,
          ...errorResponses(
            'INVALID_PHONE_CODE',
            ...OPEN_DATA_ERRORS,
            ...WECHAT_ERRORS,
            'DATABASE_UNAVAILABLE',
            'CACHE_UNAVAILABLE',
          ),
        },
      },
    },
    async (request) => {
      const claims = authOf(request);
      const proof = phoneProof(request.body);
      const phone =
        proof.kind === 'code'
          ? await phoneByCode(ctx, { appid: claims.aud, openid: claims.openid }, proof.code)
          : phoneFromOpenData(
              { ...ctx, openDataMaxAgeSeconds: ctx.config.openDataMaxAgeSeconds },
              await currentIdentity(ctx, request),
              proof.data,
            );
      const verification = verificationOf(request.body);
      const user = await bindPhone({ ...ctx, log: request.log }, claims.sub, phone, proof.kind, verification);
      return { user: userView(user), next: nextSteps(user) };
    },
  );
}

/** The code when there is one (base library 2.21.2+ sends both); else the legacy encrypted data. */
function phoneProof(body: PhoneBody): PhoneProof {
  if (body.code !== undefined) return { kind: 'code', code: body.code };
  if (body.encryptedData !== undefined && body.iv !== undefined) {
    return { kind: 'legacy', data: { encryptedData: body.encryptedData, iv: body.iv } };
  }
  if (body.errMsg !== undefined && !body.errMsg.endsWith(':ok')) {
    throw new ApiError('INVALID_REQUEST', {
      en: `The phone button failed on the phone (${body.errMsg}); nothing to bind.`,
      zh: `手机号按钮在手机上失败了（${body.errMsg}），没有可绑定的手机号。`,
    });
  }
  throw new ApiError('INVALID_REQUEST', {
    en: 'Send {code} from the getPhoneNumber button, or its {encryptedData, iv}.',
    zh: '请发送 getPhoneNumber 按钮给出的 {code}，或它的 {encryptedData, iv}。',
  });
}
