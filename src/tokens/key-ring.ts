import { randomBytes } from 'node:crypto';
import { type CryptoKey, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

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

export async function generateSigningKey(now: number): Promise<SigningKeyMaterial> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const kid = `${new Date(now).toISOString().slice(0, 10)}-${randomBytes(6).toString('base64url')}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG };
  return { kid, alg: SIGNING_ALG, publicJwk, privateJwk, createdAt: now, retiredAt: null };
}

/**
 * The keys in force: the newest unretired one signs, every published one verifies. Built from the
 * store at start and rebuilt on rotation.
 */
export class KeyRing {
  readonly signingKid: string;
  readonly #signingKey: CryptoKey;
  readonly #jwks: { keys: JWK[] };
  readonly verifier: ReturnType<typeof createLocalJWKSet>;

  private constructor(signingKid: string, signingKey: CryptoKey, publicJwks: JWK[]) {
    this.signingKid = signingKid;
    this.#signingKey = signingKey;
    this.#jwks = { keys: publicJwks };
    this.verifier = createLocalJWKSet(this.#jwks);
  }

  static async from(keys: readonly SigningKeyMaterial[]): Promise<KeyRing> {
    const active = keys.filter((k) => k.retiredAt === null).sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!active) throw new TypeError('KeyRing needs one active signing key');
    const signingKey = (await importJWK(active.privateJwk, active.alg)) as CryptoKey;
    return new KeyRing(
      active.kid,
      signingKey,
      keys.map((k) => k.publicJwk),
    );
  }

  get signingKey(): CryptoKey {
    return this.#signingKey;
  }

  /** The public JWKS document served at /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return { keys: this.#jwks.keys.map((k) => ({ ...k })) };
  }
}
