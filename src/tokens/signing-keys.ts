import type { JWK } from 'jose';
import { insertSigningKey, listSigningKeys, retireSigningKey, type SigningKey, type Store } from '../store/index.ts';
import { generateSigningKey, KeyRing, type SigningKeyMaterial } from './key-ring.ts';

function toMaterial(key: SigningKey): SigningKeyMaterial {
  return {
    kid: key.kid,
    alg: key.alg,
    publicJwk: key.publicJwk as JWK,
    privateJwk: key.privateJwk as JWK,
    createdAt: key.createdAt,
    retiredAt: key.retiredAt,
  };
}

async function addNewKey(store: Store, now: number): Promise<SigningKeyMaterial> {
  const fresh = await generateSigningKey(now);
  await insertSigningKey(
    store,
    { kid: fresh.kid, alg: fresh.alg, publicJwk: fresh.publicJwk, privateJwk: fresh.privateJwk },
    now,
  );
  return fresh;
}

/** Loads the published keys; on a first start there are none, so one is generated and stored sealed. */
export async function loadKeyRing(store: Store, now: number): Promise<KeyRing> {
  let keys = (await listSigningKeys(store, now)).map(toMaterial);
  if (!keys.some((k) => k.retiredAt === null)) {
    await addNewKey(store, now);
    keys = (await listSigningKeys(store, now)).map(toMaterial);
  }
  return KeyRing.from(keys);
}

/**
 * Generates a new signing key and retires the ones signing today. Retired keys stay in the JWKS
 * for `publishForSeconds` (at least the access-token lifetime) so tokens they signed still verify.
 */
export async function rotateSigningKeys(
  store: Store,
  options: { now: number; publishForSeconds: number },
): Promise<{ kid: string; retired: string[] }> {
  const before = await listSigningKeys(store, options.now);
  // The new key first: a crash between the two steps leaves two signing keys, never none.
  const fresh = await addNewKey(store, options.now);
  const retired: string[] = [];
  for (const key of before.filter((k) => k.retiredAt === null)) {
    if (await retireSigningKey(store.db, key.kid, options.now + options.publishForSeconds * 1000, options.now)) {
      retired.push(key.kid);
    }
  }
  return { kid: fresh.kid, retired };
}
