import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { EmulatorControl } from './control.ts';
import { CONTROL_PREFIX, controlRoutes } from './control-routes.ts';
import { type EmulatorOptions, resolveOptions } from './options.ts';
import { avatarRoutes } from './phone/avatar-image.ts';
import { EmulatorState } from './state.ts';
import { getWxaCodeUnlimit } from './wechat/getwxacodeunlimit.ts';
import { jscode2session } from './wechat/jscode2session.ts';
import { mediaCheckAsync } from './wechat/media-check-async.ts';
import { msgSecCheck } from './wechat/msg-sec-check.ts';
import { getUserPhoneNumber } from './wechat/phone-number.ts';
import { getUserRiskRank } from './wechat/risk-rank.ts';
import { registerWechatEndpoint, sendUnknownPath } from './wechat/route.ts';
import { checkSession, resetUserSessionKey } from './wechat/session-key.ts';
import { stableToken } from './wechat/stable-token.ts';
import { token } from './wechat/token.ts';

const ENDPOINTS = [
  jscode2session,
  token,
  stableToken,
  getUserPhoneNumber,
  checkSession,
  resetUserSessionKey,
  msgSecCheck,
  mediaCheckAsync,
  getUserRiskRank,
  getWxaCodeUnlimit,
];

/** The emulator's Fastify app, with its control object attached for in-process use. */
export type EmulatorApp = FastifyInstance & { readonly emulator: EmulatorControl };

/**
 * Builds the emulator without listening: `inject()` it in tests, or `listen()` it yourself.
 * The WeChat side sits at WeChat's own paths; the phone side under /__emulator.
 */
export function buildEmulatorApp(options: EmulatorOptions = {}): EmulatorApp {
  const state = new EmulatorState(resolveOptions(options));
  const control = new EmulatorControl(state);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Fastify's request log prints the URL, and WeChat URLs carry the secret and the access token.
    logController: new LogController({ disableRequestLogging: true }),
    // Connections left hanging by a "timeout" fault must not keep close() waiting.
    forceCloseConnections: true,
  });
  app.decorate('emulator', control);
  // Pushes under way and verdicts not yet pushed end with the emulator, not seconds later.
  app.addHook('onClose', async () => {
    state.mediaChecks.reset();
    state.push.reset();
  });

  if (options.onCall) state.calls.listen(options.onCall);
  state.calls.listen((event) => {
    const { api, appid, user, errcode, outcome, durationMs } = event;
    app.log.info({ api, appid, user, errcode, outcome, durationMs }, 'wechat call');
  });

  app.register(async (wechat) => {
    // WeChat reads bodies as text whatever their content-type (a form body is a 47001, not a 415).
    wechat.removeAllContentTypeParsers();
    wechat.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    for (const endpoint of ENDPOINTS) registerWechatEndpoint(wechat, state, endpoint);
    // Only an emulator bug lands here. Log the route pattern, never the URL: its query holds secrets.
    wechat.setErrorHandler((err: FastifyError, request, reply) => {
      if (typeof err.statusCode === 'number' && err.statusCode < 500)
        return reply.code(err.statusCode).send({ error: err.message });
      request.log.error({ err, route: request.routeOptions.url }, 'emulator failed');
      return reply.code(500).send({ error: 'INTERNAL', message: 'the emulator failed; see its log' });
    });
  });
  app.register(controlRoutes, { prefix: CONTROL_PREFIX, control });
  avatarRoutes(app, state.directory, options.avatarHost ?? 'wechat');

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // The control API is ours: a wrong route there is a plain 404.
    if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
      return reply.code(404).send({
        error: 'NOT_FOUND',
        message: `the control API has no ${request.method} ${path.slice(0, 200)}; see docs/emulator.md`,
      });
    }
    // Anything else is a WeChat path: answered as WeChat answers one it does not have.
    return sendUnknownPath(state, request, reply);
  });
  return app as unknown as EmulatorApp;
}
