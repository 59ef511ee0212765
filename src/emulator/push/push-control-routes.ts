import type { FastifyInstance } from 'fastify';
import type { PushControl } from './push-control.ts';
import type { UserActionInput } from './user-events.ts';

type Body = Record<string, unknown>;
const body = (value: unknown): Body =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {};

/**
 * The push side of the control API (registered inside controlRoutes, so it shares its CORS and
 * its error answers): push settings, user actions that push, deliveries, media checks.
 */
export async function pushControlRoutes(app: FastifyInstance, push: PushControl): Promise<void> {
  app.get('/push', async () => push.settings());
  app.put<{ Params: { appid: string }; Querystring: { verify?: string } }>('/apps/:appid/push', async (request) =>
    push.configure(request.params.appid, body(request.body), { verify: request.query.verify !== 'false' }),
  );
  app.delete<{ Params: { appid: string } }>('/apps/:appid/push', async (request, reply) => {
    push.remove(request.params.appid);
    return reply.code(204).send();
  });

  // 202: the push is under way; GET /pushes/:id?wait=true tells how it ended.
  app.post('/user-actions', async (request, reply) =>
    reply.code(202).send({ deliveries: push.userAction(body(request.body) as unknown as UserActionInput) }),
  );

  app.get<{ Querystring: { appid?: string } }>('/pushes', async (request) => push.deliveries(request.query.appid));
  app.get<{ Params: { id: string }; Querystring: { wait?: string } }>('/pushes/:id', async (request) =>
    request.query.wait === 'true' ? push.settled(Number(request.params.id)) : push.delivery(Number(request.params.id)),
  );

  app.get('/media-checks', async () => push.mediaChecks());
  app.get('/media-checks/policy', async () => push.mediaCheckPolicy());
  app.put('/media-checks/policy', async (request) => push.setMediaCheckPolicy(body(request.body)));
  app.post<{ Params: { traceId: string } }>('/media-checks/:traceId/verdict', async (request) =>
    push.decideMediaCheck(request.params.traceId, body(request.body)),
  );
}
