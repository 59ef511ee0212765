import { randomFillSync } from 'node:crypto';

/** One refill serves ~100 logins' ids, IVs and refresh tokens. */
const POOL_BYTES = 8192;
/** Larger requests are rare and go to the CSPRNG directly. */
const MAX_POOLED = 64;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * `crypto.randomBytes`, from a buffer of the same CSPRNG's output filled once per 8 KB. Each call
 * into OpenSSL costs ~5 µs here (a syscall-bound reseed check, whatever the size); a login asks for
 * random bytes five or six times (ids, the AES-GCM IV, the refresh token), which was 6 % of its CPU.
 * The same batching Node applies to `crypto.randomUUID`. Bytes are handed out once and the
 * handed-out part of the pool is zeroed, so a later memory dump does not reveal earlier tokens.
 */
export function randomBytesPooled(size: number): Buffer {
  if (size > MAX_POOLED) return randomFillSync(Buffer.allocUnsafeSlow(size));
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + size));
  pool.fill(0, offset, offset + size);
  offset += size;
  return out;
}
