import cors from '@fastify/cors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorControl } from './control.ts';
import { type ControlErrorCode, EmulatorControlError } from './directory.ts';
import { pushControlRoutes } from './push/push-control-routes.ts';
import type { ResetScope } from './state.ts';
import { wxacodeControlRoutes } from './wxacode/wxacode-control-routes.ts';

export const CONTROL_PREFIX = '/__emulator';

const STATUS: Record<ControlErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNKNOWN_APP: 404,
  UNKNOWN_USER: 404,
  CLOCK_NOT_ADVANCEABLE: 409,
  NO_PUSH_URL: 409,
  PUSH_URL_CHECK_FAILED: 422,
  UNKNOWN_MEDIA_CHECK: 404,
};

type Body = Record<string, unknown>;

function body(request: FastifyRequest): Body {
  const value = request.body;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new EmulatorControlError('INVALID_ARGUMENT', 'the body must be a JSON object');
  }
  return value as Body;
}

const str = (value: unknown) => value as string;

/**
 * The phone side over HTTP, for the playground, other languages' tests and users' CI. Each route
 * is one call of EmulatorControl; wx.* stand-ins answer what the mini program's API would
 * (HTTP 200 with `errMsg` "…:ok" or "…:fail …"), so a fake `wx` can pass them straight through.
 * Mistakes in the request are 4xx `{error, message}` (plus `errMsg` on wx.* routes).
 */
export async function controlRoutes(app: FastifyInstance, options: { control: EmulatorControl }): Promise<void> {
  const { control } = options;
  // A browser playground on another origin calls this API; the WeChat side needs no CORS.
  await app.register(cors, { origin: true, methods: ['GET', 'POST', 'PUT', 'DELETE'] });

  app.setErrorHandler((err: FastifyError | EmulatorControlError, request, reply: FastifyReply) => {
    const wxApi = (request.routeOptions.config as { wxApi?: string } | undefined)?.wxApi;
    let status: number;
    let payload: { error: string; message: string; errMsg?: string };
    if (err instanceof EmulatorControlError) {
      status = STATUS[err.code];
      payload = { error: err.code, message: err.message };
    } else if (typeof err.statusCode === 'number' && err.statusCode < 500) {
      status = err.statusCode;
      payload = { error: 'INVALID_ARGUMENT', message: err.message };
    } else {
      request.log.error({ err }, 'emulator control API failed');
      status = 500;
      payload = { error: 'INTERNAL', message: 'the emulator failed; see its log' };
    }
    if (wxApi) payload.errMsg = `${wxApi}:fail ${payload.message}`;
    reply.code(status).send(payload);
  });

  app.get('/', async () => control.info());

  app.get('/apps', async () => control.apps());
  app.post('/apps', async (request, reply) => reply.code(201).send(control.registerApp(body(request) as never)));

  app.get('/users', async () => control.users());
  app.post('/users', async (request) => control.upsertUser(body(request) as { user: string }));
  app.get<{ Params: { user: string } }>('/users/:user', async (request) => control.user(request.params.user));
  app.get<{ Querystring: Body }>('/identity', async (request) =>
    control.identity(str(request.query.appid), str(request.query.user)),
  );

  // Marks a wx.* stand-in, so its errors also carry the errMsg the mini program would see.
  const phone = (wxApi: string) => ({ config: { wxApi } });
  app.post('/login', phone('login'), async (request) => {
    const b = body(request);
    return control.login(str(b.appid), str(b.user), b.rotate === undefined ? {} : { rotate: b.rotate as boolean });
  });
  app.post('/checkSession', phone('checkSession'), async (request) => {
    const b = body(request);
    return control.checkSession(str(b.appid), str(b.user));
  });
  app.post('/getUserInfo', phone('getUserInfo'), async (request) => {
    const b = body(request);
    return control.getUserInfo(str(b.appid), str(b.user), b);
  });
  app.post('/getUserProfile', phone('getUserProfile'), async (request) => {
    const b = body(request);
    return control.getUserProfile(str(b.appid), str(b.user), b as { desc: string });
  });
  app.post('/getPhoneNumber', phone('getPhoneNumber'), async (request) => {
    const b = body(request);
    return control.getPhoneNumber(str(b.appid), str(b.user), b);
  });
  app.post('/getRealtimePhoneNumber', phone('getRealtimePhoneNumber'), async (request) => {
    const b = body(request);
    return control.getRealtimePhoneNumber(str(b.appid), str(b.user), b);
  });
  // What the phone buttons cost each app (both kinds are billed), and its quota left.
  app.get<{ Params: { appid: string } }>('/phone-usage/:appid', async (request) =>
    control.phoneUsage(request.params.appid),
  );
  app.put<{ Params: { appid: string } }>('/phone-usage/:appid', async (request) =>
    control.setPhoneQuota(request.params.appid, body(request).remaining as number),
  );

  app.get('/faults', async () => control.faults());
  app.post('/faults', async (request, reply) => reply.code(201).send(control.addFault(body(request))));
  app.delete('/faults', async (_request, reply) => {
    control.clearFaults();
    return reply.code(204).send();
  });
  app.delete<{ Params: { id: string } }>('/faults/:id', async (request, reply) => {
    if (!control.removeFault(Number(request.params.id))) {
      return reply.code(404).send({ error: 'UNKNOWN_FAULT', message: `no fault ${request.params.id}` });
    }
    return reply.code(204).send();
  });

  app.get<{ Querystring: { appid?: string } }>('/calls', async (request) => control.calls(request.query.appid));

  app.get('/content-rules', async () => control.contentRules());
  app.put('/content-rules', async (request) => control.setContentRules(body(request).rules as never));

  app.post('/reset', async (request, reply) => {
    control.reset((body(request).scope ?? 'all') as ResetScope);
    return reply.code(204).send();
  });

  await pushControlRoutes(app, control.push);

  await wxacodeControlRoutes(app, control.wxacode);

  app.get('/clock', async () => ({ now: control.now() }));
  app.post('/clock/advance', async (request) => ({ now: control.advanceClock(body(request).ms as number) }));
}
