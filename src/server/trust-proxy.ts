import type { TrustProxy } from '../config/config.ts';

type TrustFunction = (address: string, hop: number) => boolean;

/**
 * Fastify's `trustProxy` for TRUST_PROXY. Fastify 5.12 ignores a bare number (a hop count cannot
 * tell a proxy from a client that reached this server directly), so a count becomes a function that
 * believes exactly the nearest `hops` addresses: the socket peer, then what each proxy appended.
 * `request.ip` is then the address the outermost trusted proxy received from; anything the client
 * wrote into X-Forwarded-For itself lies beyond it and is ignored.
 */
export function fastifyTrustProxy(trust: TrustProxy): false | string[] | TrustFunction {
  if (trust === false) return false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return [...trust];
}
