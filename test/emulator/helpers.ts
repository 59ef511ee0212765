import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import {
  type EmulatorAppConfig,
  type EmulatorOptions,
  ManualClock,
  type RunningEmulator,
  startEmulator,
} from '../../src/emulator/index.ts';

/** Two apps bound to one open-platform account, and one standalone app. */
export const APP: EmulatorAppConfig = {
  appid: 'wx4f4bc4dec97d474b',
  secret: '0f3c3c2b1d6a4e0f9b8a7c6d5e4f3a2b',
  openPlatform: 'acme-open-platform',
  name: 'Acme shop',
};
export const SISTER: EmulatorAppConfig = {
  appid: 'wx1234567890abcdef',
  secret: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
  openPlatform: 'acme-open-platform',
};
export const LONE: EmulatorAppConfig = { appid: 'wxfedcba0987654321', secret: '11112222333344445555666677778888' };

export const START = Date.UTC(2024, 0, 15, 4, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 3600_000;

export interface Harness {
  emu: RunningEmulator;
  clock: ManualClock;
  wx: WechatClient;
}

/** A fresh emulator on loopback with a manual clock, closed when the test ends. */
export async function harness(t: TestContext, options: EmulatorOptions = {}): Promise<Harness> {
  const clock = new ManualClock(START);
  const emu = await startEmulator({ clock, seed: 'test-seed', apps: [APP, SISTER, LONE], ...options });
  t.after(() => emu.close());
  return { emu, clock, wx: new WechatClient(emu.url) };
}

export interface WxAnswer {
  status: number;
  contentType: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: answers are JSON read by the assertions
  body: any;
}

/** Talks to the WeChat side as a backend would: plain fetch, body parsed whatever the content-type. */
export class WechatClient {
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  async get(path: string, query: Record<string, string> = {}): Promise<WxAnswer> {
    return this.#read(await fetch(`${this.base}${path}?${new URLSearchParams(query)}`));
  }

  async post(
    path: string,
    query: Record<string, string>,
    body: unknown,
    contentType = 'application/json',
  ): Promise<WxAnswer> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const init: RequestInit = { method: 'POST', headers: { 'content-type': contentType } };
    if (text !== '') init.body = text;
    return this.#read(await fetch(`${this.base}${path}?${new URLSearchParams(query)}`, init));
  }

  code2session(app: EmulatorAppConfig, code: string): Promise<WxAnswer> {
    return this.get('/sns/jscode2session', {
      appid: app.appid,
      secret: app.secret,
      js_code: code,
      grant_type: 'authorization_code',
    });
  }

  token(app: EmulatorAppConfig): Promise<WxAnswer> {
    return this.get('/cgi-bin/token', { grant_type: 'client_credential', appid: app.appid, secret: app.secret });
  }

  stableToken(app: EmulatorAppConfig, forceRefresh?: boolean): Promise<WxAnswer> {
    const body: Record<string, unknown> = { grant_type: 'client_credential', appid: app.appid, secret: app.secret };
    if (forceRefresh !== undefined) body.force_refresh = forceRefresh;
    return this.post('/cgi-bin/stable_token', {}, body);
  }

  async accessToken(app: EmulatorAppConfig): Promise<string> {
    const answer = await this.token(app);
    assert.equal(typeof answer.body.access_token, 'string', JSON.stringify(answer.body));
    return answer.body.access_token as string;
  }

  async #read(response: Response): Promise<WxAnswer> {
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(text) };
  }
}

const RID = /, rid: ([0-9a-f]{8})-[0-9a-f]{8}-[0-9a-f]{8}$/;

/** An error exactly as WeChat sends it: HTTP 200, text/plain, errcode, errmsg ending in a rid stamped now. */
export function assertWxError(answer: WxAnswer, errcode: number, clock?: ManualClock): void {
  assert.equal(answer.status, 200);
  assert.equal(answer.contentType, 'text/plain');
  assert.equal(answer.body.errcode, errcode, JSON.stringify(answer.body));
  assert.deepEqual(Object.keys(answer.body), ['errcode', 'errmsg']);
  const rid = RID.exec(answer.body.errmsg);
  assert.ok(rid, `errmsg without rid: ${answer.body.errmsg}`);
  if (clock) assert.equal(Number.parseInt(rid[1] ?? '', 16), Math.floor(clock.now() / 1000));
}

/** A success of an access-token API: errcode 0 and errmsg "ok". */
export function assertWxOk(answer: WxAnswer): void {
  assert.equal(answer.status, 200);
  assert.equal(answer.contentType, 'text/plain');
  assert.equal(answer.body.errcode, 0, JSON.stringify(answer.body));
  assert.equal(answer.body.errmsg, 'ok');
}

/** The control API over HTTP, as the playground and other languages use it. */
export async function control(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const response = await fetch(`${base}/__emulator${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}
