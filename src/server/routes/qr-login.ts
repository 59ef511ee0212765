import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveApp } from '../app-resolver.ts';
import { authOf, requireUser } from '../authenticate.ts';
import type { ServerContext } from '../context.ts';
import { streamTicket } from '../qr-login/event-stream.ts';
import {
  browserView,
  cancelByBrowser,
  createTicket,
  finishByPhone,
  type PhoneUser,
  POLL_INTERVAL_MS,
  type QrLoginDeps,
  type Requester,
  scan,
} from '../qr-login/qr-login-flow.ts';
import {
  CreateBody,
  CreateResponse,
  ScanResponse,
  SceneBody,
  SecretQuery,
  StatusResponse,
  TicketParams,
  TicketStateSchema,
} from '../qr-login/schemas.ts';
import { errorResponses, WECHAT_ERRORS } from '../schemas.ts';

type TicketRequest = { Params: { id: string }; Querystring: { secret: string } };

function requester(ctx: ServerContext, request: FastifyRequest): Requester {
  const ua = request.headers['user-agent'];
  const origin = request.headers.origin;
  const header = ctx.config.qrLogin.placeHeader;
  const place = header === undefined ? undefined : request.headers[header];
  return {
    ip: request.ip,
    userAgent: typeof ua === 'string' ? ua.slice(0, 256) : undefined,
    origin: typeof origin === 'string' ? origin : undefined,
    place: typeof place === 'string' && place !== '' ? place.slice(0, 64) : undefined,
  };
}

function deps(ctx: ServerContext, request: FastifyRequest): QrLoginDeps {
  return {
    config: ctx.config,
    store: ctx.store,
    tickets: ctx.qrLogin.tickets,
    events: ctx.qrLogin.events,
    wechat: ctx.wechat,
    accessTokens: ctx.accessTokens,
    tokens: ctx.tokens,
    metrics: ctx.metrics,
    now: ctx.now,
    log: request.log,
  };
}

function phoneUser(request: FastifyRequest): PhoneUser {
  const claims = authOf(request);
  return { userId: claims.sub, appid: claims.aud, ip: request.ip };
}

const BROWSER_ERRORS = ['QR_LOGIN_NOT_FOUND', 'QR_LOGIN_SECRET_MISMATCH', 'CACHE_UNAVAILABLE'] as const;
const PHONE_ERRORS = [
  'QR_LOGIN_NOT_FOUND',
  'QR_LOGIN_EXPIRED',
  'QR_LOGIN_SCANNED_BY_OTHER',
  'QR_LOGIN_FINISHED',
  'APP_TOKEN_REQUIRED',
  'CACHE_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
] as const;

/** Scan-to-login (README "Scan to log in on a website"; why it is safe: docs/qr-login.md). */
export async function qrLoginRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  // The server ends its event streams itself, or closing would wait for browsers to hang up.
  app.addHook('preClose', async () => {
    for (const end of [...ctx.qrLogin.streams]) end();
  });

  app.post<{ Body: CreateBody }>(
    '/v1/qr-login',
    {
      config: { rateLimit: { max: ctx.config.qrLogin.ratePerIpPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['qr-login'],
        summary: 'A scan-to-login ticket for a website, with the mini-program code to show',
        body: CreateBody,
        response: {
          200: CreateResponse,
          ...errorResponses(
            'UNKNOWN_WEB_CLIENT',
            'UNKNOWN_APP',
            'ORIGIN_NOT_ALLOWED',
            'QR_LOGIN_BUSY',
            'RATE_LIMITED',
            'QR_LOGIN_PAGE_INVALID',
            ...WECHAT_ERRORS,
            'CACHE_UNAVAILABLE',
            'DATABASE_UNAVAILABLE',
          ),
        },
      },
    },
    async (request, reply) => {
      const { appid } = resolveApp(ctx.config, request, request.body.appid);
      const created = await createTicket(deps(ctx, request), {
        clientId: request.body.clientId,
        appid,
        requester: requester(ctx, request),
      });
      reply.header('cache-control', 'no-store');
      return {
        id: created.ticket.id,
        secret: created.secret,
        qrcode: created.qrcode,
        expiresIn: ctx.config.qrLogin.ttlSeconds,
        expiresAt: new Date(created.ticket.expiresAt).toISOString(),
        pollInterval: POLL_INTERVAL_MS,
      };
    },
  );

  app.get<TicketRequest>(
    '/v1/qr-login/:id',
    {
      schema: {
        tags: ['qr-login'],
        summary: "The ticket's state; the first answer saying confirmed carries the web session",
        params: TicketParams,
        querystring: SecretQuery,
        response: { 200: TicketStateSchema, ...errorResponses(...BROWSER_ERRORS, 'DATABASE_UNAVAILABLE') },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return browserView(deps(ctx, request), request.params.id, request.query.secret, requester(ctx, request));
    },
  );

  app.get<TicketRequest>(
    '/v1/qr-login/:id/events',
    {
      schema: {
        tags: ['qr-login'],
        summary: "The ticket's states as Server-Sent Events (text/event-stream), ending after a final one",
        params: TicketParams,
        querystring: SecretQuery,
        response: errorResponses(...BROWSER_ERRORS, 'DATABASE_UNAVAILABLE'),
      },
    },
    async (request, reply) => {
      const d = deps(ctx, request);
      const who = requester(ctx, request);
      const { id } = request.params;
      await streamTicket(request, reply, id, {
        events: ctx.qrLogin.events,
        read: () => browserView(d, id, request.query.secret, who),
        heartbeatMs: ctx.qrLogin.heartbeatMs,
        streams: ctx.qrLogin.streams,
      });
    },
  );

  app.delete<TicketRequest>(
    '/v1/qr-login/:id',
    {
      schema: {
        tags: ['qr-login'],
        summary: 'The browser gives up: the ticket is cancelled',
        params: TicketParams,
        querystring: SecretQuery,
        response: {
          200: StatusResponse,
          ...errorResponses(...BROWSER_ERRORS, 'QR_LOGIN_EXPIRED', 'QR_LOGIN_FINISHED', 'DATABASE_UNAVAILABLE'),
        },
      },
    },
    async (request) => ({
      status: await cancelByBrowser(deps(ctx, request), request.params.id, request.query.secret, request.ip),
    }),
  );

  const phone = {
    preHandler: requireUser(ctx),
    schema: { tags: ['qr-login'], security: [{ bearer: [] }], body: SceneBody },
  };
  app.post<{ Body: SceneBody }>(
    '/v1/qr-login/scan',
    {
      ...phone,
      schema: {
        ...phone.schema,
        summary: 'The mini program scanned a code: what its confirm page shows',
        response: { 200: ScanResponse, ...errorResponses(...PHONE_ERRORS) },
      },
    },
    async (request) => scan(deps(ctx, request), phoneUser(request), request.body.scene),
  );
  for (const outcome of ['confirmed', 'cancelled'] as const) {
    const path = outcome === 'confirmed' ? '/v1/qr-login/confirm' : '/v1/qr-login/cancel';
    app.post<{ Body: SceneBody }>(
      path,
      {
        ...phone,
        schema: {
          ...phone.schema,
          summary:
            outcome === 'confirmed'
              ? 'The user who scanned confirms: the website is logged in as this user'
              : 'The user who scanned refuses the login',
          response: { 200: StatusResponse, ...errorResponses(...PHONE_ERRORS, 'QR_LOGIN_NOT_SCANNED') },
        },
      },
      async (request) => ({
        status: await finishByPhone(deps(ctx, request), phoneUser(request), request.body.scene, outcome),
      }),
    );
  }
}
