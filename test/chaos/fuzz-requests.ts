/**
 * Hostile requests for the fuzz test, from one seed: the same seed gives the same requests in the
 * same order. Each is something a broken client, a scanner or an attacker sends: every route with
 * every method, odd paths, odd headers and odd bodies — all of them things undici lets through;
 * bytes that are not HTTP at all go over raw sockets instead (fuzz.test.ts).
 */

/** mulberry32: small, fast, and the same everywhere. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** From `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  string(length: number, alphabet = ALNUM): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
const BASE64 = `${ALNUM}+/=`;
/** Printable ASCII but space: what undici accepts in a path, header values being wider. */
const VISIBLE = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');

export interface Route {
  method: string;
  path: string;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** What the generator may use of the running server. */
export interface FuzzWorld {
  /** Every route of the OpenAPI document. */
  routes: Route[];
  appids: string[];
  /** Access tokens of sessions nothing here ends. */
  tokens: string[];
  /** Sessions a logout or refresh may spend, each once. */
  spare: { accessToken: string; refreshToken: string }[];
  /** The file name of a stored avatar. */
  avatarName: string;
  /** A wx.login code WeChat (the emulator) has just issued. */
  loginCode(): string;
  /** A real wx.getUserInfo result of the user behind tokens[0]. */
  userInfo(): Record<string, unknown>;
  png: Buffer;
}

const OVERSIZED_IMAGE = Buffer.alloc(2_200_000, 0x89);

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Methods Node's parser knows but no route takes, and some it refuses (answered 400 by the parser). */
const ODD_METHODS = ['QUERY', 'TRACE', 'PROPFIND', 'PURGE', 'M-SEARCH', 'MKCOL', 'LOCK', 'BREW', 'get', 'Post'];

const ODD_SEGMENTS = [
  '..',
  '../..',
  '%2e%2e',
  '%2e%2e%2f',
  '..%2f..%2f',
  '%2F',
  '%00',
  '%00.png',
  '.',
  '.tmp',
  '.env',
  '.git/config',
  '~',
  '%5c..%5c',
  '..\\..\\',
  '%c0%ae%c0%ae',
  '%E0%A4%A',
  '%ZZ',
  '%',
  '%u002e',
  ';',
  '%20',
  '+',
  '*',
  '%25',
  '%E4%BD%A0%E5%A5%BD',
  '%F0%9F%98%80',
  'caf\u00e9',
  'CON',
  'index.html',
  '#frag',
];

const ODD_PATHS = [
  '/',
  '//',
  '///v1/login',
  '/v1',
  '/v1/',
  '/v2/login',
  '/V1/LOGIN',
  '/v1/login/',
  '/v1//login',
  '/v1/./login',
  '/v1/%6Cogin',
  '/.well-known/',
  '/.well-known/openid-configuration',
  '/.git/config',
  '/.env',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/..',
  '/../../etc/passwd',
  '/wp-admin/',
  '/media/',
  '/media/avatars',
  '/docs/static',
  '/metrics/',
  '/healthz?',
  '/playground/',
];

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/json;',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary=xyz',
  'image/png',
  'image/svg+xml',
  'application/octet-stream',
  'application/xml',
  '*/*',
  'a/b/c',
  ';;;',
  '',
  'x'.repeat(2000),
];

const NICKNAMES: unknown[] = [
  'Alice',
  '',
  '   ',
  '微信用户',
  ' 微信用户 ',
  'a\u0000b',
  'zero\u200bwidth',
  '😀'.repeat(20),
  'x'.repeat(33),
  'x'.repeat(300),
  'O\u0301scar',
  '<script>alert(1)</script>',
  "'; drop table users; --",
  5,
  null,
  ['Alice'],
  { nickname: 'Alice' },
];

const INVALID_JSON = [
  '{',
  '}',
  '{"code":}',
  "{'code':'x'}",
  '{"code":"x",}',
  'nul',
  'NaN',
  '[1,2',
  '\uFEFF{"code":"x"}',
  '{"code":"x"}garbage',
  '{"a":1}{"b":2}',
  '\u0000',
  '""""',
  '{"code":"\\x"}',
  '{"code":"\\u12"}',
  '1e999999',
];

const WRONG_SHAPES = [
  'null',
  '[]',
  '[{}]',
  '"code"',
  '1',
  'true',
  '{}',
  '{"code":null}',
  '{"code":123}',
  '{"code":["a"]}',
  '{"code":{"$gt":""}}',
  '{"code":"\\ud800"}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"code":"abc","openid":"o-forged"}',
  '{"code":"abc","unionid":"u-forged"}',
  '{"refreshToken":""}',
  '{"nickname":"a","extra":1}',
];

/** A generator of hostile requests against one running server. */
export function requestGenerator(seed: number, world: FuzzWorld): () => FuzzRequest {
  const rng = new Rng(seed);
  let lastCode = 'never-issued';
  let spent = 0;

  const b64 = () => rng.string(rng.pick([0, 4, 22, 24, 44, 64, 200]), BASE64);
  const appid = () =>
    rng.pick([...world.appids, 'wx0000000000000000', 'wx', '', 'WX4F4BC4DEC97D474B', 'wx4f4bc4dec97d474b%00']);
  const garbageToken = () =>
    rng.pick([
      rng.string(32),
      `${rng.string(20)}.${rng.string(40)}.${rng.string(43)}`,
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
      '',
      'x'.repeat(5000),
    ]);
  const token = () => rng.pick(world.tokens);
  /** A session a logout or refresh may end, once; afterwards a spent one (401s). */
  const spare = () => world.spare[Math.min(spent++, world.spare.length - 1)];

  function authorization(path: string): string | undefined {
    const r = rng.next();
    if (r < 0.3) return undefined;
    if (r < 0.65) {
      if (path.startsWith('/v1/logout')) return `Bearer ${spare()?.accessToken}`;
      return `Bearer ${token()}`;
    }
    return rng.pick([
      'Bearer ',
      'Bearer',
      `bearer ${token()}`,
      `Bearer ${token()}x`,
      `Bearer ${token()} ${token()}`,
      `Bearer ${garbageToken()}`,
      'Basic dXNlcjpwYXNz',
      `Token ${token()}`,
      rng.string(rng.int(1, 200), VISIBLE),
    ]);
  }

  function code(): unknown {
    const r = rng.next();
    if (r < 0.12) {
      lastCode = world.loginCode();
      return lastCode;
    }
    if (r < 0.18) return lastCode; // used already: CODE_USED
    return rng.pick<unknown>([rng.string(32), '', rng.string(300), 'the code', 0, null, true, [lastCode], {}]);
  }

  function jsonFor(path: string, method: string): unknown {
    if (path.startsWith('/v1/login') || path.startsWith('/wx/login')) {
      const body: Record<string, unknown> = { code: code() };
      if (rng.chance(0.3)) body.appid = appid();
      if (rng.chance(0.3)) Object.assign(body, { encryptedData: b64(), iv: b64() });
      if (rng.chance(0.1)) Object.assign(body, { rawData: rng.string(40), signature: rng.string(40, HEX) });
      if (rng.chance(0.1)) body.phoneCode = rng.pick([rng.string(64, HEX), '', 7]);
      if (rng.chance(0.05)) body.openid = 'o-forged';
      return body;
    }
    if (path.startsWith('/v1/token/refresh')) {
      return { refreshToken: rng.chance(0.4) ? spare()?.refreshToken : garbageToken() };
    }
    if (path.startsWith('/v1/me/userinfo')) {
      if (rng.chance(0.05)) return world.userInfo();
      return rng.pick<unknown>([
        { encryptedData: b64(), iv: b64() },
        { encryptedData: b64(), iv: b64(), rawData: '{}', signature: rng.string(40, HEX) },
        { errMsg: 'getUserInfo:fail auth deny' },
        {},
      ]);
    }
    if (path.startsWith('/v1/me/phone')) {
      return rng.pick<unknown>([
        { code: rng.string(64, HEX) },
        { code: '' },
        { encryptedData: b64(), iv: b64() },
        { errMsg: 'getPhoneNumber:fail user deny' },
        { errMsg: 'getPhoneNumber:ok' },
        { code: rng.string(64, HEX), cloudID: 'x', errno: 0 },
        {},
      ]);
    }
    if (path.startsWith('/v1/me') && method !== 'GET') return { nickname: rng.pick(NICKNAMES) };
    return rng.pick<unknown>([{}, { a: 1 }, [], 'x']);
  }

  /** A JSON-ish body and the Content-Type it goes with (undefined: no header). */
  function jsonBody(path: string, method: string): { body: string; type: string | undefined } {
    const r = rng.next();
    let body: string;
    if (r < 0.58) body = JSON.stringify(jsonFor(path, method));
    else if (r < 0.74) body = rng.pick(INVALID_JSON);
    else if (r < 0.9) body = rng.pick(WRONG_SHAPES);
    // Just under and over the 64 KB JSON limit.
    else if (r < 0.92) body = JSON.stringify({ code: 'x'.repeat(rng.pick([60_000, 70_000])) });
    else if (r < 0.935) {
      const depth = rng.int(100, 12_000);
      body = rng.chance(0.5) ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    } else if (r < 0.97) body = '';
    else body = rng.bytes(rng.int(1, 300)).toString('latin1');
    return {
      body,
      type: rng.chance(0.75) ? 'application/json' : rng.chance(0.2) ? undefined : rng.pick(CONTENT_TYPES),
    };
  }

  function multipart(boundary: string, parts: { name: string; filename?: string; data: Buffer }[], close = true) {
    const chunks: Buffer[] = [];
    for (const part of parts) {
      const file = part.filename === undefined ? '' : `; filename="${part.filename}"`;
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${file}\r\n`),
        Buffer.from(part.filename === undefined ? '\r\n' : 'Content-Type: image/png\r\n\r\n'),
        part.data,
        Buffer.from('\r\n'),
      );
    }
    if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return Buffer.concat(chunks);
  }

  function avatarBody(): { body: Buffer | string; type: string | undefined } {
    const image = rng.chance(0.3) ? world.png : rng.bytes(rng.int(0, 4000));
    const r = rng.next();
    if (r < 0.35) return { body: image, type: rng.pick(['image/png', 'image/jpeg', 'application/octet-stream']) };
    if (r < 0.7) {
      const boundary = rng.pick(['----wxupload', 'B', 'x'.repeat(70)]);
      const parts = rng.pick([
        [{ name: 'file', filename: 'a.png', data: image }],
        [{ name: 'avatar', filename: 'a.png', data: image }],
        [
          { name: 'file', filename: 'a.png', data: image },
          { name: 'file', filename: 'b.png', data: image },
        ],
        [{ name: 'file', filename: '../../etc/passwd', data: image }],
        [{ name: '__proto__', filename: 'a.png', data: image }],
        Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('v') })),
        [{ name: 'file', data: Buffer.from('not a file') }],
      ]);
      const body = multipart(boundary, parts, rng.chance(0.85));
      const type = rng.chance(0.9)
        ? `multipart/form-data; boundary=${boundary}`
        : 'multipart/form-data; boundary=other';
      return { body, type };
    }
    // Over AVATAR_MAX_BYTES (2 MB); one buffer for all, since only its size matters.
    if (r < 0.703) return { body: OVERSIZED_IMAGE, type: 'image/png' };
    return jsonBody('/v1/me/avatar', 'POST');
  }

  function staticPath(): string {
    const name = rng.pick([
      world.avatarName,
      world.avatarName.toUpperCase(),
      `${world.avatarName}/`,
      `${world.avatarName}.png`,
      `${rng.string(64, HEX)}.png`,
      `${rng.string(64, HEX)}.webp`,
      '',
      rng.pick(ODD_SEGMENTS),
      `${rng.pick(ODD_SEGMENTS)}/${rng.pick(ODD_SEGMENTS)}`,
      `${'a'.repeat(rng.int(100, 6000))}.png`,
      `.${rng.string(8)}.png.tmp`,
      rng.string(rng.int(1, 80), VISIBLE),
    ]);
    return rng.chance(0.8) ? `/media/avatars/${name}` : `/docs/static/${name}`;
  }

  function docsPath(): string {
    return `/docs${rng.pick(['', '/', '/json', '/yaml', '/static/index.html', '/static/swagger-ui.css', '/static/swagger-initializer.js', '/uiConfig', '/initOAuth', '/static/../../package.json', '/json/..'])}`;
  }

  function oddPath(): string {
    const r = rng.next();
    if (r < 0.4) return rng.pick(ODD_PATHS);
    if (r < 0.8)
      return `/${Array.from({ length: rng.int(1, 5) }, () => rng.pick([...ODD_SEGMENTS, rng.string(6)])).join('/')}`;
    if (r < 0.95) return `/${rng.string(rng.int(1, 300), VISIBLE)}`;
    // Request lines of 9 KB (taken) and of 17 KB (over Node's 16 KB: 431).
    return `/${'x'.repeat(rng.pick([9_000, 17_000]))}`;
  }

  /** Small damage to a route's path: the router must still say 404, 405 or 400, never 500. */
  function mutate(path: string): string {
    return rng.pick([
      `${path}/`,
      `/${path}`,
      path.toUpperCase(),
      `${path}/..`,
      `${path}/${rng.pick(ODD_SEGMENTS)}`,
      path.replace('/', '/%2e%2e/'),
      `${path}%00`,
      `${path};a=b`,
      path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
      `${path}%E0%A4%A`,
    ]);
  }

  function query(): string {
    const params = Array.from({ length: rng.int(1, 4) }, () =>
      rng.pick([
        `code=${rng.string(32)}`,
        'code=',
        'code',
        `appid=${appid()}`,
        `encryptedData=${encodeURIComponent(b64())}`,
        `iv=${encodeURIComponent(b64())}`,
        '__proto__[admin]=1',
        'constructor[prototype][admin]=1',
        'a[]=1&a[]=2',
        'x=%E0%A4%A',
        '%ZZ=1',
        `a=${'b'.repeat(4000)}`,
        `code=${'c'.repeat(300)}`,
        'code=a&code=b',
        '=',
        '&&&',
      ]),
    );
    return `?${params.join('&')}`;
  }

  function headers(path: string, method: string): Record<string, string> {
    const h: Record<string, string> = {};
    const auth = authorization(path);
    if (auth !== undefined) h.authorization = auth;
    if (rng.chance(0.1)) h['x-wx-appid'] = appid();
    if (rng.chance(0.1)) {
      h.referer = rng.pick([
        `https://servicewechat.com/${appid()}/${rng.int(0, 99)}/page-frame.html`,
        `https://servicewechat.com/${appid()}/devtools/page-frame.html`,
        'https://servicewechat.com/',
        'https://evil.example/wx4f4bc4dec97d474b/1/page-frame.html',
        rng.string(50, VISIBLE),
      ]);
    }
    if (method === 'GET' && rng.chance(0.15)) {
      const [name, value] = rng.pick([
        [
          'range',
          rng.pick(['bytes=0-10', 'bytes=500-', 'bytes=-5', 'bytes=10-1', 'bytes=0-1,3-4', 'bytes=x', 'lines=1-2']),
        ],
        ['if-match', rng.pick(['"x"', '*', 'W/"x"'])],
        ['if-none-match', rng.pick(['"x"', '*'])],
        ['if-modified-since', rng.pick(['Tue, 01 Jan 2030 00:00:00 GMT', 'yesterday', ''])],
        ['if-unmodified-since', rng.pick(['Tue, 01 Jan 1980 00:00:00 GMT', 'garbage'])],
        ['if-range', '"x"'],
      ] as const);
      h[name] = value;
    }
    if (rng.chance(0.05))
      h['x-forwarded-for'] = rng.pick(['1.2.3.4', '::1', 'garbage', '1.2.3.4, 5.6.7.8', ''.padEnd(500, '1')]);
    if (rng.chance(0.08)) h['accept-encoding'] = rng.pick(['gzip', 'br', '*', 'identity;q=0', 'x'.repeat(300)]);
    if (rng.chance(0.05)) h.accept = rng.pick(['text/html', 'application/xml', '*/*', '']);
    if (rng.chance(0.03)) h.cookie = rng.string(rng.int(1, 500), VISIBLE);
    if (rng.chance(0.03)) h['x-request-id'] = rng.string(rng.int(1, 300), VISIBLE);
    if (rng.chance(0.03)) h['user-agent'] = rng.pick(['', 'x'.repeat(4000), 'Mozilla/5.0 MicroMessenger/8.0.0']);
    if (rng.chance(0.03)) h[`x-${rng.string(8).toLowerCase()}`] = rng.string(rng.int(0, 100), VISIBLE);
    // Headers near Node's 16 KB limit (taken) and over it (431).
    if (rng.chance(0.015)) h['x-pad'] = 'p'.repeat(rng.pick([8_000, 20_000]));
    return h;
  }

  return () => {
    const route = rng.pick(world.routes);
    const r = rng.next();
    let method: string;
    let path: string;
    if (r < 0.6) {
      path = route.path;
      method = rng.chance(0.7) ? route.method : rng.chance(0.8) ? rng.pick(METHODS) : rng.pick(ODD_METHODS);
    } else {
      path = r < 0.75 ? staticPath() : r < 0.82 ? docsPath() : oddPath();
      method = rng.chance(0.7) ? 'GET' : rng.chance(0.7) ? rng.pick(METHODS) : rng.pick(ODD_METHODS);
    }
    const base = path;
    if (rng.chance(0.12)) path = mutate(path);
    if (rng.chance(0.25)) path += query();
    const request: FuzzRequest = { method, path, headers: headers(base, method) };
    const wantsBody = ['GET', 'HEAD'].includes(method.toUpperCase()) ? rng.chance(0.05) : rng.chance(0.85);
    if (wantsBody) {
      const { body, type } = base.startsWith('/v1/me/avatar') ? avatarBody() : jsonBody(base, method);
      request.body = body;
      if (type !== undefined) request.headers['content-type'] = type;
    }
    return request;
  };
}
