import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createSecretBox, parseSecretKey, type SecretPurpose, StoreError } from '../../src/store/index.ts';

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected StoreError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const key = randomBytes(32);
const box = createSecretBox(key);
const purpose = fc.constantFrom<SecretPurpose>('session-key', 'signing-key');

describe('parseSecretKey', () => {
  it('accepts 32 bytes as hex, base64 and base64url, padded or not', () => {
    for (const text of [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
      key.toString('base64url'),
      ` ${key.toString('base64')}\n`,
    ]) {
      assert.deepEqual(parseSecretKey(text), key, text);
    }
  });

  it('refuses passphrases and wrong lengths', () => {
    for (const text of [
      '',
      'correct horse battery staple',
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex'),
      randomBytes(33).toString('base64'),
      `${key.toString('hex')}00`,
    ]) {
      expectCode(() => parseSecretKey(text), 'INVALID_SECRET_KEY', /32 bytes as base64 \(44 characters\) or hex/);
    }
    expectCode(() => createSecretBox(randomBytes(16)), 'INVALID_SECRET_KEY', /exactly 32 bytes/);
  });

  it('the same key as text and bytes opens the same boxes', () => {
    const sealed = createSecretBox(key.toString('hex')).seal('session-key', 'i_1', 'k');
    assert.equal(createSecretBox(key.toString('base64')).open('session-key', 'i_1', sealed), 'k');
  });
});

describe('secret box', () => {
  it('seals to v1.<iv>.<ciphertext+tag> and never repeats an iv', () => {
    const a = box.seal('session-key', 'i_1', 'tiihtNczf5v6AKRyjwEUhQ==');
    const b = box.seal('session-key', 'i_1', 'tiihtNczf5v6AKRyjwEUhQ==');
    assert.match(a, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.notEqual(a, b);
    assert.ok(!a.includes('tiihtNczf5v6AKRyjwEUhQ'));
  });

  it('property: round-trips any text for any purpose and context', () => {
    fc.assert(
      fc.property(purpose, fc.string(), fc.string({ unit: 'grapheme' }), (p, context, plaintext) => {
        assert.equal(box.open(p, context, box.seal(p, context, plaintext)), plaintext);
      }),
    );
  });

  it('property: flipping any bit of the iv or body fails with DECRYPT_FAILED', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), fc.nat({ max: 7 }), (plaintext, at, bit) => {
        const sealed = box.seal('session-key', 'i_1', plaintext);
        const [version, iv, body] = sealed.split('.') as [string, string, string];
        const bytes = Buffer.concat([Buffer.from(iv, 'base64url'), Buffer.from(body, 'base64url')]);
        const index = at % bytes.length;
        bytes[index] = (bytes[index] ?? 0) ^ (1 << bit);
        const tampered = `${version}.${bytes.subarray(0, 12).toString('base64url')}.${bytes.subarray(12).toString('base64url')}`;
        expectCode(() => box.open('session-key', 'i_1', tampered), 'DECRYPT_FAILED');
      }),
    );
  });

  it('a wrong key fails with DECRYPT_FAILED and says what to check', () => {
    const sealed = box.seal('signing-key', 'kid-1', '{"kty":"OKP"}');
    expectCode(
      () => createSecretBox(randomBytes(32)).open('signing-key', 'kid-1', sealed),
      'DECRYPT_FAILED',
      /WEAPP_SECRET_KEY changed \(list the old one in WEAPP_SECRET_KEY_PREVIOUS\), the value was altered, or it was copied from another row/,
    );
  });

  it('a ciphertext moved to another row or used for another purpose does not open', () => {
    const sealed = box.seal('session-key', 'i_alice', 'key-of-alice');
    expectCode(() => box.open('session-key', 'i_mallory', sealed), 'DECRYPT_FAILED');
    expectCode(() => box.open('signing-key', 'i_alice', sealed), 'DECRYPT_FAILED');
  });

  it('property: a different context never opens', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, plaintext) => {
        fc.pre(a !== b);
        expectCode(() => box.open('session-key', b, box.seal('session-key', a, plaintext)), 'DECRYPT_FAILED');
      }),
      { numRuns: 50 },
    );
  });

  it('rejects malformed and unknown-version values with their own codes', () => {
    const sealed = box.seal('session-key', 'i_1', 'x');
    const [, iv, body] = sealed.split('.') as [string, string, string];
    for (const bad of [
      '',
      'v1',
      'v1..',
      `v1.${iv}`,
      `v1.${iv}.${body}.x`,
      `v1.${iv}.${body}=`,
      `v1.AAAA.${body}`,
      `v1.${iv}.AAAA`,
    ]) {
      expectCode(() => box.open('session-key', 'i_1', bad), 'MALFORMED_CIPHERTEXT');
    }
    expectCode(() => box.open('session-key', 'i_1', `v2.${iv}.${body}`), 'UNSUPPORTED_CIPHERTEXT_VERSION', /"v2"/);
  });

  it('property: opening arbitrary text only ever throws a StoreError', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        assert.throws(
          () => box.open('session-key', 'i_1', text),
          (err: unknown) => err instanceof StoreError,
        );
      }),
    );
  });
});

describe('fingerprints', () => {
  it('property: equal exactly when the plaintexts are, and the same on every call', () => {
    fc.assert(
      fc.property(purpose, fc.string(), fc.string(), (p, a, b) => {
        const [fa] = box.fingerprints(p, a);
        assert.equal(box.fingerprints(p, a)[0], fa);
        assert.equal(fa === box.fingerprints(p, b)[0], a === b);
        assert.match(fa ?? '', /^[A-Za-z0-9_-]{43}$/);
      }),
    );
  });

  it('is HMAC-SHA256 under a subkey of its own: not a plain hash, not the sealing key, another per purpose', () => {
    const text = 'tiihtNczf5v6AKRyjwEUhQ==';
    const [fingerprint] = box.fingerprints('session-key', text);
    assert.notEqual(fingerprint, createHash('sha256').update(text).digest('base64url'));
    assert.notEqual(fingerprint, createHmac('sha256', key).update(text).digest('base64url'));
    assert.notEqual(fingerprint, box.fingerprints('signing-key', text)[0]);
    assert.notEqual(fingerprint, createSecretBox(randomBytes(32)).fingerprints('session-key', text)[0]);
  });
});

describe('secret key rotation', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const before = createSecretBox(oldKey);
  const during = createSecretBox(newKey, [oldKey]);

  it('opens what an older key sealed, and seals with the new one', () => {
    const sealedOld = before.seal('session-key', 'i_1', 'tiihtNczf5v6AKRyjwEUhQ==');
    assert.equal(during.open('session-key', 'i_1', sealedOld), 'tiihtNczf5v6AKRyjwEUhQ==');
    const sealedNew = during.seal('session-key', 'i_1', 'tiihtNczf5v6AKRyjwEUhQ==');
    assert.equal(createSecretBox(newKey).open('session-key', 'i_1', sealedNew), 'tiihtNczf5v6AKRyjwEUhQ==');
    expectCode(() => before.open('session-key', 'i_1', sealedNew), 'DECRYPT_FAILED');
  });

  it('still binds a value to its row and purpose under every key', () => {
    const sealedOld = before.seal('session-key', 'i_1', 'x');
    expectCode(() => during.open('session-key', 'i_2', sealedOld), 'DECRYPT_FAILED');
    expectCode(() => during.open('signing-key', 'i_1', sealedOld), 'DECRYPT_FAILED');
  });

  it('fingerprints under the new key first, then under each previous one', () => {
    const [old] = before.fingerprints('session-key', 'tiihtNczf5v6AKRyjwEUhQ==');
    const [fresh] = createSecretBox(newKey).fingerprints('session-key', 'tiihtNczf5v6AKRyjwEUhQ==');
    assert.deepEqual(during.fingerprints('session-key', 'tiihtNczf5v6AKRyjwEUhQ=='), [fresh, old]);
    assert.notEqual(fresh, old);
  });

  it('refuses a malformed previous key at once', () => {
    expectCode(() => createSecretBox(newKey, ['not a key']), 'INVALID_SECRET_KEY');
  });
});
