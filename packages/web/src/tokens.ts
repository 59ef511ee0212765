import { type Fetch, requestJson } from './http.ts';

/** What the website gets when the phone confirms: weapp-auth's tokens, `aud` = the web client. */
export interface WebTokens {
  /** A short-lived JWT; send it as `Authorization: Bearer …` to your APIs, which verify it offline (JWKS). */
  accessToken: string;
  /** Opaque, rotating: each refresh answers a new one and ends this one. Keep it out of reach of other scripts. */
  refreshToken: string;
  /** Seconds the access token is valid. */
  expiresIn: number;
  /** The server may say more (`tokenType`, `user`): kept as it came. */
  [field: string]: unknown;
}

export interface ServerOptions {
  /** The weapp-auth server, e.g. "https://auth.example.com" (this page's origin must be in its WEB_CLIENTS). */
  baseUrl: string;
  /** Default: the page's fetch. */
  fetch?: Fetch;
}

export function serverUrl(baseUrl: string, path: string): string {
  if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) {
    throw new TypeError('weapp-auth-web: baseUrl must be an http(s) URL, e.g. "https://auth.example.com"');
  }
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

export function fetchOf(options: { fetch?: Fetch }): Fetch {
  const f = options.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') throw new TypeError('weapp-auth-web: no fetch here; pass options.fetch');
  // Called unbound, the browser's fetch throws "Illegal invocation".
  return options.fetch ? f : f.bind(globalThis);
}

/**
 * POST /v1/token/refresh: new tokens for the web session (the refresh token rotates; a reused one
 * ends the whole session, so never send the same one twice — keep one refresh in flight).
 */
export function refreshTokens(options: ServerOptions & { refreshToken: string }): Promise<WebTokens> {
  return requestJson<WebTokens>(fetchOf(options), serverUrl(options.baseUrl, '/v1/token/refresh'), {
    method: 'POST',
    body: { refreshToken: options.refreshToken },
  });
}

/** POST /v1/logout: ends the web session on the server (the mini program's session stays). */
export async function logout(options: ServerOptions & { accessToken: string }): Promise<void> {
  await requestJson<unknown>(fetchOf(options), serverUrl(options.baseUrl, '/v1/logout'), {
    method: 'POST',
    body: {},
    token: options.accessToken,
  });
}
