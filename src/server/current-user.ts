import type { FastifyRequest } from 'fastify';
import { findIdentityForUser, findUserById, type Identity, type User } from '../store/index.ts';
import { authOf, sessionOf } from './authenticate.ts';
import type { ServerContext } from './context.ts';
import { ApiError } from './errors.ts';

/** The user behind the bearer token (routes guarded by requireUser only). */
export async function currentUser(ctx: Pick<ServerContext, 'store'>, request: FastifyRequest): Promise<User> {
  const user = request.authUser ?? (await findUserById(ctx.store.db, sessionOf(request).sub));
  if (!user) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
  return user;
}

/** The WeChat identity the token was issued for: its app (`aud`) and that app's openid. */
export async function currentIdentity(ctx: Pick<ServerContext, 'store'>, request: FastifyRequest): Promise<Identity> {
  const claims = authOf(request);
  const identity = await findIdentityForUser(ctx.store.db, claims.sub, claims.aud);
  if (!identity) throw new ApiError('SESSION_REVOKED', 'No WeChat identity for this session; log in again.');
  return identity;
}
