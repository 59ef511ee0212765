import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { CallEvent, WechatApi } from '../calls.ts';
import { WxError } from '../errcodes.ts';
import { newRid } from '../ids.ts';
import type { EmulatorState } from '../state.ts';

/** One WeChat-side request, as the handlers see it. */
export class WxCall {
  readonly state: EmulatorState;
  readonly method: string;
  readonly ip: string;
  readonly #query: Record<string, unknown>;
  readonly #rawBody: string;
  /** Filled in by the handler once it knows, for the call event. */
  appid: string | undefined;
  user: string | undefined;

  constructor(state: EmulatorState, request: FastifyRequest) {
    this.state = state;
    this.method = request.method;
    this.ip = request.ip;
    this.#query = (request.query ?? {}) as Record<string, unknown>;
    this.#rawBody = typeof request.body === 'string' ? request.body : '';
  }

  now(): number {
    return this.state.now();
  }

  /** A query parameter; a repeated one counts as its first value, an empty one as missing. */
  query(name: string): string | undefined {
    const raw = this.#query[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  /**
   * The JSON object body of a POST API. WeChat parses the body as JSON whatever the content-type says,
   * so a form-encoded body is a 47001; an empty one answers `emptyErrcode`.
   */
  jsonBody(emptyErrcode = 44002): Record<string, unknown> {
    if (this.#rawBody.trim() === '') throw new WxError(emptyErrcode);
    let value: unknown;
    try {
      value = JSON.parse(this.#rawBody);
    } catch {
      throw new WxError(47001);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WxError(47001);
    return value as Record<string, unknown>;
  }

  /** The body parsed leniently, only to learn which app a call concerns before it is validated. */
  peekBody(): Record<string, unknown> {
    try {
      return this.jsonBody();
    } catch {
      return {};
    }
  }
}

/** A success answer that is a picture, not JSON (getwxacodeunlimit). */
export class WxImage {
  readonly contentType: string;
  readonly bytes: Buffer;
  constructor(contentType: string, bytes: Buffer) {
    this.contentType = contentType;
    this.bytes = bytes;
  }
}

export interface WechatEndpoint {
  api: WechatApi;
  url: string;
  /** Methods served; any other method answers 43002 (WeChat's "require POST method"). */
  methods: HTTPMethods[];
  /** Which app the call concerns, before any validation: for counters, faults and events. */
  appOf(call: WxCall): string | undefined;
  /** Answers the success body (JSON, or a picture), or throws a WxError. */
  handle(call: WxCall): Record<string, unknown> | WxImage;
  /** WeChat labels most JSON answers text/plain; the image APIs label their JSON errors as JSON. */
  errorContentType?: string;
}

/** WeChat answers HTTP 200 with a JSON body labelled text/plain, errors included (wechat-api.md §0). */
function sendWx(reply: FastifyReply, body: Record<string, unknown>, contentType = 'text/plain'): void {
  reply.code(200).header('content-type', contentType).send(JSON.stringify(body));
}

function errorBody(errcode: number, errmsg: string, now: number): Record<string, unknown> {
  return { errcode, errmsg: `${errmsg}, rid: ${newRid(now)}` };
}

/**
 * A path WeChat has no API at (or one the emulator does not emulate): WeChat answers HTTP 200
 * `{errcode: 40066, errmsg: "invalid url"}` ("check the API's URL against the docs", in its general
 * error table), so a client that looks only at errcode sees a failure, as it would in production.
 * The `x-emulator-hint` header says what the emulator lacks. The query is never logged: it may
 * hold the secret or an access token.
 */
export function sendUnknownPath(state: EmulatorState, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  request.log.warn({ method: request.method, path }, 'not emulated: answered 40066');
  reply.header(
    'x-emulator-hint',
    `the weapp-auth emulator does not serve ${request.method} ${path.slice(0, 200)}; see docs/emulator.md`,
  );
  const err = new WxError(40066);
  sendWx(reply, errorBody(err.errcode, err.message, state.now()));
}

/** Registers one WeChat API: counting, faults, the handler, the WeChat-shaped answer and the call event. */
export function registerWechatEndpoint(app: FastifyInstance, state: EmulatorState, endpoint: WechatEndpoint): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    const call = new WxCall(state, request);
    call.appid = endpoint.appOf(call);
    const at = call.now();
    state.calls.count(endpoint.api, call.appid);
    const finish = (outcome: CallEvent['outcome'], errcode: number | undefined, faulted: boolean) => {
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      const record: CallEvent = { api: endpoint.api, outcome, faulted, at, durationMs };
      if (call.appid !== undefined) record.appid = call.appid;
      if (call.user !== undefined) record.user = call.user;
      if (errcode !== undefined) record.errcode = errcode;
      state.calls.record(record);
    };

    const fault = state.faults.decide(endpoint.api, call.appid);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    const outcome = fault.outcome;
    if (outcome?.kind === 'drop' || outcome?.kind === 'timeout') {
      // Taken over from Fastify: a drop closes the socket unanswered; a timeout never answers,
      // and closing the emulator destroys the connection (forceCloseConnections).
      reply.hijack();
      if (outcome.kind === 'drop') request.raw.socket.destroy();
      finish(outcome.kind === 'drop' ? 'dropped' : 'timeout', undefined, true);
      return;
    }
    if (outcome?.kind === 'errcode') {
      const forced = new WxError(outcome.errcode, outcome.errmsg);
      sendWx(reply, errorBody(forced.errcode, forced.message, call.now()), endpoint.errorContentType);
      finish('answered', outcome.errcode, true);
      return;
    }

    try {
      if (!endpoint.methods.includes(request.method as HTTPMethods)) throw new WxError(43002);
      const body = endpoint.handle(call);
      if (body instanceof WxImage) {
        reply.code(200).header('content-type', body.contentType).send(body.bytes);
        finish('answered', 0, fault.latencyMs > 0);
        return;
      }
      sendWx(reply, body);
      finish('answered', typeof body.errcode === 'number' ? body.errcode : 0, fault.latencyMs > 0);
    } catch (err) {
      if (!(err instanceof WxError)) throw err;
      sendWx(reply, errorBody(err.errcode, err.message, call.now()), endpoint.errorContentType);
      finish('answered', err.errcode, fault.latencyMs > 0);
    }
  };
  app.route({ method: ['GET', 'POST'], url: endpoint.url, handler });
}
