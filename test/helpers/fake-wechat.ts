import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small scriptable stand-in for api.weixin.qq.com on 127.0.0.1, answering as WeChat does:
 * HTTP 200, Content-Type text/plain, errors as {errcode, errmsg: "..., rid: ..."}, no errcode on
 * jscode2session/token/stable_token success and errcode 0 on the access-token APIs.
 * Each path has a default handler (a plausible success, after WeChat's own checks of method and
 * parameters); tests override it with handle() or queue one-off replies with script().
 */

export const RID = '652d44d0-1d0af18b-5b069232';

export const SAMPLE = {
  appid: 'wx4f4bc4dec97d474b',
  secret: '5f2b1c0e9a7d4e3b8c6a1f0d2e4b6a8c',
  openid: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE',
  unionid: 'ocMvos6NjeKLIBqg5Mr9QjxrP1FA',
  sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
  newSessionKey: 'o0q0otL8aEzpcZL/FT9WsQ==',
  loginCode: '0716AVll20uHk94SLDml27etM946AVlq',
  phoneCode: 'e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144',
  accessToken: '70_Q0yMpKYmXIb3qiYRDp3eF1Nz5BfLP8r2pDu6kVg4HwZtUc9JsEa7Ly',
} as const;

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface FakeReply {
  /** Default 200. */
  status?: number;
  /** Default text/plain, as WeChat; null sends no Content-Type at all. */
  contentType?: string | null;
  /** An object is serialized as JSON; a string is sent as is. */
  body?: unknown;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
  /** Destroy the connection instead of answering (connection reset). */
  reset?: boolean;
  /** Answer only once this settles (to order concurrent answers). */
  after?: Promise<unknown>;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

export const ok = (body: Record<string, unknown>): FakeReply => ({ body });

/** An error body as WeChat writes it, rid suffix included. */
export function wechatError(errcode: number, text: string): FakeReply {
  return { body: { errcode, errmsg: `${text}, rid: ${RID}` } };
}

const field = (req: FakeRequest, name: string): unknown =>
  req.method === 'GET' ? (req.query.get(name) ?? undefined) : (req.json as Record<string, unknown> | undefined)?.[name];

/** WeChat's own request checks, in its order, for the endpoints that take credentials. */
function checkCredentials(req: FakeRequest, method: 'GET' | 'POST'): FakeReply | undefined {
  if (req.method !== method) return wechatError(43002, 'require POST method');
  if (method === 'POST' && (req.json === undefined || typeof req.json !== 'object')) {
    return wechatError(47001, 'data format error');
  }
  if (!field(req, 'appid')) return wechatError(41002, 'appid missing');
  if (!field(req, 'secret')) return wechatError(41004, 'appsecret missing');
  return undefined;
}

function checkAccessToken(req: FakeRequest, method: 'GET' | 'POST'): FakeReply | undefined {
  if (req.method !== method) return wechatError(43002, 'require POST method');
  if (!req.query.get('access_token')) return wechatError(41001, 'access_token missing');
  if (method === 'POST' && (req.json === null || typeof req.json !== 'object')) {
    return wechatError(47001, 'data format error');
  }
  return undefined;
}

function defaultHandlers(fake: FakeWeChat): Map<string, FakeHandler> {
  let tokenSerial = 0;
  return new Map<string, FakeHandler>([
    [
      '/sns/jscode2session',
      (req) =>
        checkCredentials(req, 'GET') ??
        (!req.query.get('js_code')
          ? wechatError(41008, 'missing code')
          : ok({ session_key: SAMPLE.sessionKey, openid: SAMPLE.openid, unionid: SAMPLE.unionid })),
    ],
    [
      '/cgi-bin/token',
      (req) =>
        checkCredentials(req, 'GET') ??
        (req.query.get('grant_type') !== 'client_credential'
          ? wechatError(40002, 'invalid grant_type')
          : ok({ access_token: `70_token${++tokenSerial}`, expires_in: 7200 })),
    ],
    [
      '/cgi-bin/stable_token',
      (req) => {
        const refused = checkCredentials(req, 'POST');
        if (refused) return refused;
        if (field(req, 'force_refresh') === true) fake.stableGeneration++;
        return ok({ access_token: `70_stable${fake.stableGeneration}`, expires_in: 7200 });
      },
    ],
    [
      '/wxa/business/getuserphonenumber',
      (req) =>
        checkAccessToken(req, 'POST') ??
        ok({
          errcode: 0,
          errmsg: 'ok',
          phone_info: {
            phoneNumber: '13580006666',
            purePhoneNumber: '13580006666',
            countryCode: '86',
            watermark: { timestamp: 1637744274, appid: SAMPLE.appid },
          },
        }),
    ],
    ['/wxa/checksession', (req) => checkAccessToken(req, 'GET') ?? ok({ errcode: 0, errmsg: 'ok' })],
    [
      '/wxa/resetusersessionkey',
      (req) =>
        checkAccessToken(req, 'GET') ??
        ok({ errcode: 0, errmsg: 'ok', openid: req.query.get('openid'), session_key: SAMPLE.newSessionKey }),
    ],
    [
      '/wxa/msg_sec_check',
      (req) =>
        checkAccessToken(req, 'POST') ??
        ok({
          errcode: 0,
          errmsg: 'ok',
          result: { suggest: 'pass', label: 100 },
          detail: [
            { strategy: 'content_model', errcode: 0, suggest: 'pass', label: 100, prob: 90 },
            { strategy: 'keyword', errcode: 0 },
          ],
          trace_id: '63e64edc-16ebb171-098cba3f',
        }),
    ],
  ]);
}

export class FakeWeChat {
  readonly requests: FakeRequest[] = [];
  /** TCP connections accepted so far: keep-alive means this stays low. */
  connections = 0;
  /** Bumped by each forced stable_token refresh; the default stable token is `70_stable<generation>`. */
  stableGeneration = 1;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #handlers: Map<string, FakeHandler>;
  readonly #scripts = new Map<string, FakeReply[]>();
  #url = '';

  private constructor() {
    this.#handlers = defaultHandlers(this);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = body === '' ? undefined : JSON.parse(body);
        } catch {
          json = undefined;
        }
        const request: FakeRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          json,
        };
        this.requests.push(request);
        void this.#answer(request, res);
      });
    });
    this.#server.on('connection', (socket: Socket) => {
      this.connections++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<FakeWeChat> {
    const fake = new FakeWeChat();
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.#server.address() as AddressInfo;
    fake.#url = `http://127.0.0.1:${port}`;
    return fake;
  }

  get url(): string {
    return this.#url;
  }

  /** Forgets requests, scripts and handler overrides (between tests sharing one fake). */
  reset(): void {
    this.requests.length = 0;
    this.#scripts.clear();
    this.#handlers = defaultHandlers(this);
    this.stableGeneration = 1;
  }

  /** Replaces the handler of `path` until reset(). */
  handle(path: string, handler: FakeHandler): this {
    this.#handlers.set(path, handler);
    return this;
  }

  /** Queues replies for the next requests to `path`, used before its handler. */
  script(path: string, ...replies: FakeReply[]): this {
    this.#scripts.set(path, [...(this.#scripts.get(path) ?? []), ...replies]);
    return this;
  }

  /** Requests received on `path` (optionally only those matching `filter`). */
  received(path: string, filter?: (req: FakeRequest) => boolean): FakeRequest[] {
    return this.requests.filter((r) => r.path === path && (!filter || filter(r)));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(req: FakeRequest, res: ServerResponse): Promise<void> {
    let reply: FakeReply | undefined;
    try {
      reply = this.#scripts.get(req.path)?.shift() ?? (await this.#handlers.get(req.path)?.(req));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`fake handler threw: ${String(err)}`);
      return;
    }
    if (!reply) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
      return;
    }
    if (reply.after) await reply.after.catch(() => undefined);
    if (reply.hang) return;
    if (reply.reset) {
      res.socket?.destroy();
      return;
    }
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
    const headers: Record<string, string> = {};
    const contentType = reply.contentType === undefined ? 'text/plain' : reply.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    if (!res.destroyed) res.writeHead(reply.status ?? 200, headers).end(body);
  }
}
