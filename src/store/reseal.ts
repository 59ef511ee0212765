import type { Store } from './store.ts';

export interface ResealResult {
  identities: number;
  signingKeys: number;
}

/**
 * Rewrites every sealed value under the store's current secret key: what rotating
 * WEAPP_SECRET_KEY ends with, so the previous key can be dropped. Values already sealed with the
 * current key are rewritten too (a fresh iv, same plaintext): harmless, and no row is missed.
 * Paged by id, so a large identities table never sits in memory; safe to run while serving (a
 * concurrent login seals with the current key as well).
 */
export async function resealAll(store: Store, pageSize = 500): Promise<ResealResult> {
  const result: ResealResult = { identities: 0, signingKeys: 0 };
  let after = '';
  for (;;) {
    const rows = await store.db
      .selectFrom('identities')
      .select(['id', 'session_key_current', 'session_key_previous'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      const reseal = (sealed: string) =>
        store.box.seal('session-key', row.id, store.box.open('session-key', row.id, sealed));
      const current = store.box.open('session-key', row.id, row.session_key_current);
      // Only where the row still holds what we read: a login in between already sealed anew.
      await store.db
        .updateTable('identities')
        .set({
          session_key_current: store.box.seal('session-key', row.id, current),
          session_key_previous: row.session_key_previous === null ? null : reseal(row.session_key_previous),
          // Under the new key too (and filled in where it was missing), so that a login after the
          // previous key is dropped still recognises the key it holds.
          session_key_fingerprint: store.box.fingerprints('session-key', current)[0] ?? null,
        })
        .where('id', '=', row.id)
        .where('session_key_current', '=', row.session_key_current)
        .execute();
      result.identities++;
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) break;
    after = last.id;
  }
  const keys = await store.db.selectFrom('signing_keys').select(['kid', 'private_jwk']).execute();
  for (const key of keys) {
    const plain = store.box.open('signing-key', key.kid, key.private_jwk);
    await store.db
      .updateTable('signing_keys')
      .set({ private_jwk: store.box.seal('signing-key', key.kid, plain) })
      .where('kid', '=', key.kid)
      .execute();
    result.signingKeys++;
  }
  return result;
}
