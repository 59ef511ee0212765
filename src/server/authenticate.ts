import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../store/index.ts';
import { type AccessTokenClaims, AccessTokenError } from '../tokens/index.ts';
import type { ServerContext } from './context.ts';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route serves a website's session (scan-to-login) as well as the mini program's. */
    webSession?: boolean;
  }
  interface FastifyRequest {
    /** Set by `requireUser` on routes that need a logged-in user. */
    auth?: AccessTokenClaims;
    /** The user, when `requireUser(ctx, { loadUser: true })` read it with the session check. */
    authUser?: User;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * A preHandler for routes that need a user: verifies the bearer token and that its session is live.
 * With `loadUser`, the user is read in the same statement as the session check (see currentUser).
 *
 * Callback style, not async: when this process already holds the answer (a signature verified
 * before, a session kept live — TokenService.verifyFromMemory) the request goes on synchronously,
 * and a route whose handler returns a value (GET /v1/me) is answered in the same turn, without the
 * promises and microtask turns an async hook and handler cost every request.
 */
export function requireUser(ctx: ServerContext, options: { loadUser?: boolean } = {}) {
  const loadUser = options.loadUser === true;
  return (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    const token = bearerToken(request);
    const known = ctx.tokens.verifyFromMemory(token);
    if (known) {
      authenticated(request, known, loadUser);
      done();
      return;
    }
    const verified = loadUser
      ? ctx.tokens.verifyWithUser(token)
      : ctx.tokens.verify(token).then((claims) => ({ claims }));
    verified.then(
      (found) => {
        authenticated(request, found, loadUser);
        done();
      },
      (err: unknown) => done(err instanceof AccessTokenError ? new ApiError(err.code, err.message) : (err as Error)),
    );
  };
}

/** What requireUser found, on the request: the claims, and the user when the route asked for it. */
function authenticated(
  request: FastifyRequest,
  found: { claims: AccessTokenClaims; user?: User | undefined },
  loadUser: boolean,
): void {
  request.auth = found.claims;
  if (loadUser && found.user) request.authUser = found.user;
}

/** The access token of the Authorization header; a missing or malformed header is refused (thrown). */
function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new ApiError('UNAUTHORIZED');
  const token = BEARER.exec(header)?.[1];
  if (!token) {
    throw new ApiError('TOKEN_INVALID', {
      en: 'The Authorization header must be "Bearer <access token>".',
      zh: 'Authorization 请求头必须是 "Bearer <访问令牌>"。',
    });
  }
  return token;
}

/** A mini program's token: it names the app (`aud`) and the user's openid there. */
export type AppAccessTokenClaims = AccessTokenClaims & { openid: string };

/**
 * The verified claims of a mini program's token (routes guarded by requireUser). A website's
 * token (scan-to-login: `aud` a web client, no openid) is refused here with APP_TOKEN_REQUIRED,
 * so every route that acts for an app (phone, profile, WeChat calls) serves the mini program only.
 */
export function authOf(request: FastifyRequest): AppAccessTokenClaims {
  const claims = sessionOf(request);
  if (claims.openid === undefined) throw new ApiError('APP_TOKEN_REQUIRED');
  return claims as AppAccessTokenClaims;
}

/** The verified claims of any session, a mini program's or a website's: for routes both may call. */
export function sessionOf(request: FastifyRequest): AccessTokenClaims {
  if (!request.auth) throw new TypeError('sessionOf() used on a route without requireUser');
  return request.auth;
}
