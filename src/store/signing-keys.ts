import type { Kysely, Selectable } from 'kysely';
import type { Store } from './store.ts';
import type { Database, SigningKeysTable } from './tables.ts';

/** A JSON Web Key as stored: an object of JSON members (jose's `JWK` fits). */
export interface Jwk {
  kty?: string;
  kid?: string;
  alg?: string;
  [member: string]: unknown;
}

export interface SigningKey {
  kid: string;
  alg: string;
  publicJwk: Jwk;
  /** Sealed at rest, opened here: only the process holding WEAPP_SECRET_KEY can sign. */
  privateJwk: Jwk;
  createdAt: number;
  /** When a newer key took over signing; null while this one signs. */
  retiredAt: number | null;
  /** Until when a retired key stays published in the JWKS (its last tokens must still verify). */
  notAfter: number | null;
}

export type NewSigningKey = Pick<SigningKey, 'kid' | 'alg' | 'publicJwk' | 'privateJwk'>;

function toSigningKey(store: Pick<Store, 'box'>, row: Selectable<SigningKeysTable>): SigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: JSON.parse(row.public_jwk) as Jwk,
    privateJwk: JSON.parse(store.box.open('signing-key', row.kid, row.private_jwk)) as Jwk,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    notAfter: row.not_after,
  };
}

export async function insertSigningKey(
  store: Pick<Store, 'db' | 'box'>,
  key: NewSigningKey,
  now: number = Date.now(),
): Promise<SigningKey> {
  const row = await store.db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      alg: key.alg,
      public_jwk: JSON.stringify(key.publicJwk),
      private_jwk: store.box.seal('signing-key', key.kid, JSON.stringify(key.privateJwk)),
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSigningKey(store, row);
}

/** The keys to publish, newest first: every active key and every retired one still within its `notAfter`. */
export async function listSigningKeys(
  store: Pick<Store, 'db' | 'box'>,
  now: number = Date.now(),
): Promise<SigningKey[]> {
  const rows = await store.db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('not_after', '>', now)]))
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .execute();
  return rows.map((row) => toSigningKey(store, row));
}

/**
 * Stops a key from signing while keeping it published until `publishUntil` (at least the access
 * token lifetime from now). False when the key does not exist or was already retired.
 */
export async function retireSigningKey(
  db: Kysely<Database>,
  kid: string,
  publishUntil: number,
  now: number = Date.now(),
): Promise<boolean> {
  const result = await db
    .updateTable('signing_keys')
    .set({ retired_at: now, not_after: publishUntil })
    .where('kid', '=', kid)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Deletes retired keys past their `notAfter`; returns how many. */
export async function deleteExpiredSigningKeys(db: Kysely<Database>, now: number = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('signing_keys')
    .where('retired_at', 'is not', null)
    .where('not_after', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
