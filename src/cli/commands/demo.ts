import type { Command } from 'commander';
import { DEMO_APP, DEV_PORTS } from '../dev-defaults.ts';
import { DEV_STATE_PATH, readDevState } from '../dev-state.ts';

interface DemoFlags {
  server: string;
  emulator: string;
  appid: string;
  user: string;
  /** Where server and emulator came from, for the message when they cannot be reached. */
  source?: string;
}

/** Fields holding a phone number: personal data, printed by its last four digits only. */
const PHONE_FIELDS = new Set(['phoneNumber', 'purePhoneNumber']);

/**
 * Long credentials are shown by their start only: enough to recognise, useless to steal. Phone
 * numbers keep their last four digits ("*******5678").
 */
function mask(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && PHONE_FIELDS.has(key)) return value.replace(/\d(?=(?:\D*\d){4})/g, '*');
  if (typeof value === 'string' && value.length > 24) return `${value.slice(0, 12)}…(${value.length} chars)`;
  if (Array.isArray(value)) return value.map((v) => mask(v, key));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
  return value;
}

/** The dev stack did not answer at `url`, or not as the dev stack would. */
class Unreachable extends Error {
  readonly url: string;

  constructor(url: string, reason: string) {
    super(reason);
    this.url = url;
  }
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  // The URL without its query: /wx/login's carries the login code and the encrypted data.
  const shown = url.split('?')[0] ?? url;
  let res: Response;
  try {
    res = await fetch(url, {
      ...init,
      headers: {
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string>),
      },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const { cause } = err as { cause?: { code?: string; message?: string } };
    throw new Unreachable(shown, cause?.code ?? cause?.message ?? (err as Error).message);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new Unreachable(shown, `HTTP ${res.status} with a body that is not JSON; is it weapp-auth dev?`);
  }
}

/**
 * `weapp-auth demo`: plays the classic tutorial's mini program against a running dev stack —
 * wx.login, wx.getUserInfo, then GET /wx/login — then today's user details (the getPhoneNumber
 * button, a nickname), and prints each step.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'walk the login and user-details flow against a running `weapp-auth dev`, as a phone would, printing each step',
    )
    .option(
      '--server <url>',
      `the weapp-auth server (default: the dev stack running from this folder, found in ${DEV_STATE_PATH}, else http://127.0.0.1:${DEV_PORTS.server})`,
    )
    .option(
      '--emulator <url>',
      `the WeChat emulator (default: as for --server, else http://127.0.0.1:${DEV_PORTS.emulator})`,
    )
    .option('--appid <appid>', 'the mini program', DEMO_APP.appid)
    .option('--user <name>', 'the WeChat user on the phone', 'alice')
    .action(async (flags: Partial<DemoFlags> & Pick<DemoFlags, 'appid' | 'user'>) => {
      process.exitCode = await runDemo(demoTargets(flags), (line) => process.stdout.write(`${line}\n`));
    });
}

/**
 * Where the dev stack is: the flags, else what the `weapp-auth dev` running from this folder
 * recorded (it may have picked other ports than the defaults), else the default ports.
 */
export function demoTargets(
  flags: Partial<DemoFlags> & Pick<DemoFlags, 'appid' | 'user'>,
  state = readDevState(),
): DemoFlags {
  const defaults =
    state === undefined
      ? {
          server: `http://127.0.0.1:${DEV_PORTS.server}`,
          emulator: `http://127.0.0.1:${DEV_PORTS.emulator}`,
          source: 'the default ports; no weapp-auth dev runs from this folder',
        }
      : { server: state.server, emulator: state.emulator, source: `found in ${DEV_STATE_PATH}` };
  const server = flags.server ?? defaults.server;
  const emulator = flags.emulator ?? defaults.emulator;
  const source =
    flags.server !== undefined && flags.emulator !== undefined
      ? 'given with --server and --emulator'
      : flags.server === undefined && flags.emulator === undefined
        ? defaults.source
        : `given with --${flags.server === undefined ? 'emulator' : 'server'}, the other ${defaults.source.replace(/;.*/, '')}`;
  return { ...flags, server: server.replace(/\/+$/, ''), emulator: emulator.replace(/\/+$/, ''), source };
}

export async function runDemo(flags: DemoFlags, print: (line: string) => void): Promise<number> {
  const step = (n: number, title: string, detail: unknown) => {
    print(`\n${n}. ${title}`);
    print(JSON.stringify(mask(detail), null, 2));
  };
  const phone = (api: string, body: Record<string, unknown>) =>
    json(`${flags.emulator}/__emulator/${api}`, {
      method: 'POST',
      body: JSON.stringify({ appid: flags.appid, user: flags.user, ...body }),
    });
  try {
    const login = await phone('login', {});
    step(1, `wx.login() on ${flags.user}'s phone`, login.body);
    const info = await phone('getUserInfo', { withCredentials: true, anonymous: false });
    step(2, 'wx.getUserInfo({withCredentials: true})', info.body);
    const query = new URLSearchParams({
      code: String(login.body.code),
      encryptedData: String(info.body.encryptedData),
      iv: String(info.body.iv),
      rawData: String(info.body.rawData),
      signature: String(info.body.signature),
    });
    const wxLogin = await json(`${flags.server}/wx/login?${query}`);
    step(3, `GET /wx/login → HTTP ${wxLogin.status}`, wxLogin.body);
    if (wxLogin.status !== 200) return 1;
    const token = String(wxLogin.body.accessToken);
    const me = await json(`${flags.server}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    step(4, `GET /v1/me with the access token → HTTP ${me.status}`, me.body);
    const refreshed = await json(`${flags.server}/v1/token/refresh`, {
      method: 'POST',
      body: JSON.stringify({ refreshToken: wxLogin.body.refreshToken }),
    });
    step(5, `POST /v1/token/refresh → HTTP ${refreshed.status}`, refreshed.body);
    if (refreshed.status !== 200) return 1;
    const details = await userDetails(flags, String(refreshed.body.accessToken), phone, step);
    print('\nThe session_key stayed on the server; the phone only ever held our own tokens.');
    return me.status === 200 && details ? 0 : 1;
  } catch (err) {
    if (!(err instanceof Unreachable)) throw err;
    print(
      `Could not reach the dev stack at ${err.url} (${err.message}).\n` +
        `  server ${flags.server}, emulator ${flags.emulator}: ${flags.source ?? 'given'}.\n` +
        '  Start it first with `npm start` (from this folder, and the demo finds it), or pass --server and --emulator.',
    );
    return 1;
  }
}

type Phone = (api: string, body: Record<string, unknown>) => ReturnType<typeof json>;

/**
 * Today's user details: the getPhoneNumber button's code, which our server redeems with WeChat,
 * then a nickname as `<input type="nickname">` gives it (wx.request cannot PATCH: POST).
 */
async function userDetails(
  flags: DemoFlags,
  accessToken: string,
  phone: Phone,
  step: (n: number, title: string, detail: unknown) => void,
): Promise<boolean> {
  const authorized = (body: Record<string, unknown>): RequestInit => ({
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}` },
    body: JSON.stringify(body),
  });
  const button = await phone('getPhoneNumber', {});
  step(6, '<button open-type="getPhoneNumber">: the user allows, e.detail', button.body);
  if (typeof button.body.code !== 'string') return false;
  const bound = await json(`${flags.server}/v1/me/phone`, authorized({ code: button.body.code }));
  step(7, `POST /v1/me/phone {code} → HTTP ${bound.status}`, bound.body);
  const nickname = `${flags.user} (demo)`;
  const named = await json(`${flags.server}/v1/me`, authorized({ nickname }));
  step(8, `POST /v1/me {nickname: "${nickname}"} → HTTP ${named.status}`, named.body);
  return bound.status === 200 && named.status === 200;
}
