import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';

/** Asymmetric, so business backends verify our tokens offline from the public JWKS. */
export const SIGNING_ALG = 'EdDSA';

export interface SigningKeyMaterial {
  kid: string;
  alg: string;
  publicJwk: JWK;
  privateJwk: JWK;
  createdAt: number;
  /** Set when a newer key took over; the public half stays published until its tokens expire. */
  retiredAt: number | null;
}

/**
 * A new Ed25519 key pair as JWKs (RFC 8037: kty OKP, crv Ed25519, x, and d for the private half).
 * node:crypto exports them itself; jose, which did this before, stays a type here and a verifier
 * in the tests, not a module every server loads (~1 MB of heap for two calls at rotation).
 */
export async function generateSigningKey(now: number): Promise<SigningKeyMaterial> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = `${new Date(now).toISOString().slice(0, 10)}-${randomBytes(6).toString('base64url')}`;
  const publicJwk = { ...okp(publicKey.export({ format: 'jwk' })), kid, alg: SIGNING_ALG, use: 'sig' };
  const privateJwk = { ...okp(privateKey.export({ format: 'jwk' })), kid, alg: SIGNING_ALG };
  return { kid, alg: SIGNING_ALG, publicJwk, privateJwk, createdAt: now, retiredAt: null };
}

/** The members of an exported Ed25519 JWK, in the order jose wrote them: crv, [d,] x, kty. */
function okp(jwk: { crv?: string; x?: string; d?: string }): JWK {
  return { crv: jwk.crv, ...(jwk.d !== undefined && { d: jwk.d }), x: jwk.x, kty: 'OKP' };
}

/** An Ed25519 JWK as a node:crypto key, imported once: signing and verifying then call OpenSSL directly. */
function ed25519Key(jwk: JWK, type: 'private' | 'public'): KeyObject {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new TypeError(`signing key ${jwk.kid} is not an Ed25519 JWK`);
  const key = { kty: jwk.kty, crv: jwk.crv, x: jwk.x ?? '', ...(type === 'private' && { d: jwk.d ?? '' }) };
  return type === 'private'
    ? createPrivateKey({ key, format: 'jwk' })
    : createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x }, format: 'jwk' });
}

/**
 * The keys in force: the newest unretired one signs, every published one verifies. Built from the
 * store at start and rebuilt on rotation.
 */
export class KeyRing {
  readonly signingKid: string;
  readonly #signingKey: KeyObject;
  readonly #jwks: { keys: JWK[] };
  readonly #verifiers: ReadonlyMap<string, KeyObject>;

  private constructor(signingKid: string, signingKey: KeyObject, publicJwks: JWK[]) {
    this.signingKid = signingKid;
    this.#signingKey = signingKey;
    this.#jwks = { keys: publicJwks };
    this.#verifiers = new Map(
      publicJwks.filter((k) => k.kid !== undefined).map((k) => [k.kid as string, ed25519Key(k, 'public')]),
    );
  }

  static async from(keys: readonly SigningKeyMaterial[]): Promise<KeyRing> {
    const active = keys.filter((k) => k.retiredAt === null).sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!active) throw new TypeError('KeyRing needs one active signing key');
    return new KeyRing(
      active.kid,
      ed25519Key(active.privateJwk, 'private'),
      keys.map((k) => k.publicJwk),
    );
  }

  get signingKey(): KeyObject {
    return this.#signingKey;
  }

  /** The public key published under `kid`, if any. */
  verifier(kid: string): KeyObject | undefined {
    return this.#verifiers.get(kid);
  }

  /** The public JWKS document served at /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return { keys: this.#jwks.keys.map((k) => ({ ...k })) };
  }
}
