/**
 * Scan-to-login settings (README "Scan to log in on a website", docs/qr-login.md): the websites
 * that may log in by scanning a mini-program code, and how the code is drawn and limited.
 */
export interface WebClient {
  /** Becomes the web session's `aud`: never shaped like an appid, so the two cannot be confused. */
  id: string;
  /** What the mini program's confirm page calls the website. */
  name: string;
  /** Exact origins (scheme, host, port) allowed to use the client: CORS, and the Origin check. */
  origins: readonly string[];
}

export interface QrLoginConfig {
  /** A ticket's lifetime; WeChat's codes are permanent, so this is the only expiry. */
  ttlSeconds: number;
  page: string;
  envVersion: 'release' | 'trial' | 'develop';
  checkPath: boolean;
  /** Tickets one client IP may create per minute. */
  ratePerIpPerMinute: number;
  /** Codes drawn per mini program per minute, below WeChat's 5 000 (wechat-api.md §19.1). */
  codesPerMinute: number;
  /** Tickets not yet finished, per mini program. */
  maxOutstanding: number;
  /** A header a trusted proxy sets to the client's approximate place; undefined: none. */
  placeHeader: string | undefined;
}

const CLIENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const APPID = /^wx[0-9a-zA-Z]{16}$/;
/** An origin as browsers send it: scheme, host, optional port; no path, no trailing slash. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** WEB_CLIENTS="clientId:https://origin[|https://origin2…][,clientId:…]" with WEB_CLIENT_NAMES="clientId:Name,…". */
export function parseWebClients(
  raw: string | undefined,
  namesRaw: string | undefined,
  problems: string[],
): WebClient[] {
  const names = new Map<string, string>();
  for (const [i, entry] of (namesRaw ?? '').split(',').entries()) {
    if (entry.trim() === '') continue;
    const at = entry.indexOf(':');
    const id = entry.slice(0, at).trim();
    const name = entry.slice(at + 1).trim();
    if (at < 1 || name === '' || name.length > 64) {
      problems.push(`WEB_CLIENT_NAMES entry ${i + 1} must be clientId:Name (the name 1-64 characters)`);
    } else {
      names.set(id, name);
    }
  }
  const clients: WebClient[] = [];
  if (raw === undefined) {
    for (const id of names.keys())
      problems.push(`WEB_CLIENT_NAMES names ${id.slice(0, 64)}, which WEB_CLIENTS does not list`);
    return clients;
  }
  for (const [i, entry] of raw.split(',').entries()) {
    const where = `WEB_CLIENTS entry ${i + 1}`;
    const at = entry.indexOf(':');
    const id = entry.slice(0, at).trim();
    const origins = entry
      .slice(at + 1)
      .split('|')
      .map((o) => o.trim());
    if (at < 1 || !CLIENT_ID.test(id)) {
      problems.push(
        `${where} must be clientId:https://origin[|https://origin2…], the id 1-64 letters, digits, "_", "-", "."`,
      );
      continue;
    }
    if (APPID.test(id)) {
      problems.push(
        `${where}: the client id ${id} looks like an appid; web and mini-program tokens must not share an aud`,
      );
      continue;
    }
    const bad = origins.find((o) => !ORIGIN.test(o));
    if (bad !== undefined) {
      problems.push(
        `${where}: "${bad.slice(0, 80)}" is not an origin; write it as the browser sends it, ` +
          'e.g. https://admin.example.com or http://localhost:5173 (no path, no trailing slash)',
      );
      continue;
    }
    if (clients.some((c) => c.id === id)) {
      problems.push(`WEB_CLIENTS lists ${id} twice`);
      continue;
    }
    clients.push({ id, name: names.get(id) ?? id, origins: origins.map((o) => o.toLowerCase()) });
  }
  for (const id of names.keys()) {
    if (!clients.some((c) => c.id === id))
      problems.push(`WEB_CLIENT_NAMES names ${id.slice(0, 64)}, which WEB_CLIENTS does not list`);
  }
  return clients;
}

type Read = {
  str: (name: string) => string | undefined;
  int: (name: string, fallback: number, min: number, max: number) => number;
  oneOf: <T extends string>(name: string, values: readonly T[], fallback: T) => T;
};

export function parseQrLogin({ str, int, oneOf }: Read, problems: string[]): QrLoginConfig {
  const page = str('QR_LOGIN_PAGE') ?? 'pages/qr-login/confirm';
  if (page.startsWith('/') || page.includes('?') || !/^[A-Za-z0-9_\-/.]{1,128}$/.test(page)) {
    problems.push(
      `QR_LOGIN_PAGE must be a page path as in app.json, without a leading "/" or a query (got "${page.slice(0, 64)}")`,
    );
  }
  const placeHeader = str('QR_LOGIN_PLACE_HEADER')?.toLowerCase();
  if (placeHeader !== undefined && !/^[a-z0-9-]{1,64}$/.test(placeHeader)) {
    problems.push('QR_LOGIN_PLACE_HEADER must be a header name (letters, digits, "-")');
  }
  return {
    ttlSeconds: int('QR_LOGIN_TTL_SECONDS', 120, 10, 300),
    page,
    envVersion: oneOf('QR_LOGIN_ENV_VERSION', ['release', 'trial', 'develop'], 'release'),
    checkPath: oneOf('QR_LOGIN_CHECK_PATH', ['true', 'false'], 'true') === 'true',
    ratePerIpPerMinute: int('QR_LOGIN_RATE_LIMIT', 10, 1, 10_000),
    codesPerMinute: int('QR_LOGIN_CODES_PER_MINUTE', 4000, 1, 5000),
    maxOutstanding: int('QR_LOGIN_MAX_OUTSTANDING', 10_000, 1, 1_000_000),
    placeHeader,
  };
}
