import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decryptOpenData,
  encryptOpenData,
  OpenDataError,
  rawDataSignature,
  sessionSignature,
  verifyRawDataSignature,
  WXBizDataCrypt,
} from '../../src/wechat/crypto/index.ts';
import { vectors } from '../helpers/vectors.ts';

const v = vectors.decrypt;
const key = () => randomBytes(16).toString('base64');

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OpenDataError, `expected OpenDataError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('open-data vectors', () => {
  it('decrypts the official WXBizDataCrypt vector to its exact plaintext', () => {
    const data = decryptOpenData(v.sessionKey, v.iv, v.encryptedData, { appid: v.appId });
    assert.deepEqual(data, JSON.parse(v.plaintext));
  });

  it('re-encrypts the compact plaintext to the vector byte for byte', () => {
    const { watermark, ...rest } = JSON.parse(v.plaintext) as Record<string, unknown>;
    const out = encryptOpenData(v.sessionKey, rest, {
      iv: Buffer.from(v.iv, 'base64'),
      watermark: watermark as { appid: string; timestamp: number },
    });
    assert.equal(out.encryptedData, v.encryptedData);
    assert.equal(out.iv, v.iv);
  });

  it('the drop-in WXBizDataCrypt decrypts the vector', () => {
    const pc = new WXBizDataCrypt(v.appId, v.sessionKey);
    assert.equal(pc.decryptData(v.encryptedData, v.iv).nickName, 'Band');
    expectCode(
      () => new WXBizDataCrypt('wx0000000000000000', v.sessionKey).decryptData(v.encryptedData, v.iv),
      'WATERMARK_MISMATCH',
    );
  });

  it('verifies the official rawData signature and rejects any other', () => {
    const s = vectors.rawDataSignature;
    assert.equal(rawDataSignature(s.rawData, s.sessionKey), s.signature);
    assert.equal(verifyRawDataSignature(s.rawData, s.signature, s.sessionKey), true);
    assert.equal(verifyRawDataSignature(s.rawData, s.signature.toUpperCase(), s.sessionKey), true);
    assert.equal(verifyRawDataSignature(`${s.rawData} `, s.signature, s.sessionKey), false);
    assert.equal(verifyRawDataSignature(s.rawData, s.signature.slice(1), s.sessionKey), false);
    assert.equal(verifyRawDataSignature(s.rawData, 'zz'.repeat(20), s.sessionKey), false);
  });

  it('computes every session-signature vector (HMAC keyed with the base64 text)', () => {
    for (const c of vectors.sessionSignature.cases) {
      assert.equal(sessionSignature(c.sessionKey, c.message), c.signature);
    }
  });
});

describe('decryptOpenData rejects bad input with a typed error', () => {
  const table: [string, () => unknown, string, RegExp][] = [
    [
      'short key',
      () => decryptOpenData('AAAA', v.iv, v.encryptedData, { appid: v.appId }),
      'INVALID_SESSION_KEY',
      /16 bytes/,
    ],
    [
      '32-byte key',
      () => decryptOpenData(randomBytes(32).toString('base64'), v.iv, v.encryptedData, { appid: v.appId }),
      'INVALID_SESSION_KEY',
      /24 characters/,
    ],
    [
      'key with junk',
      () => decryptOpenData(`${v.sessionKey}!`, v.iv, v.encryptedData, { appid: v.appId }),
      'INVALID_SESSION_KEY',
      /base64/,
    ],
    [
      'non-string key',
      () => decryptOpenData(42 as unknown as string, v.iv, v.encryptedData, { appid: v.appId }),
      'INVALID_SESSION_KEY',
      /base64/,
    ],
    [
      'iv unpadded',
      () => decryptOpenData(v.sessionKey, v.iv.replace('==', ''), v.encryptedData, { appid: v.appId }),
      'INVALID_IV',
      /16 bytes/,
    ],
    [
      'iv 8 bytes',
      () => decryptOpenData(v.sessionKey, 'AAAAAAAAAAA=', v.encryptedData, { appid: v.appId }),
      'INVALID_IV',
      /16 bytes/,
    ],
    [
      'ciphertext not base64',
      () => decryptOpenData(v.sessionKey, v.iv, '%%%', { appid: v.appId }),
      'MALFORMED_CIPHERTEXT',
      /not valid base64/,
    ],
    [
      'ciphertext empty',
      () => decryptOpenData(v.sessionKey, v.iv, '', { appid: v.appId }),
      'MALFORMED_CIPHERTEXT',
      /non-empty multiple of 16/,
    ],
    [
      'ciphertext 15 bytes',
      () => decryptOpenData(v.sessionKey, v.iv, randomBytes(15).toString('base64'), { appid: v.appId }),
      'MALFORMED_CIPHERTEXT',
      /got 15/,
    ],
    [
      'non-canonical base64 bits',
      () => decryptOpenData(v.sessionKey, v.iv, `${v.encryptedData.slice(0, -3)}x==`, { appid: v.appId }),
      'MALFORMED_CIPHERTEXT',
      /base64/,
    ],
    [
      'wrong key',
      () => decryptOpenData('HyVFkGl5F5OQWJZZaNzBBg==', v.iv, v.encryptedData, { appid: v.appId }),
      'DECRYPT_FAILED',
      /wx\.login ran after the data was produced/,
    ],
    [
      'wrong appid',
      () => decryptOpenData(v.sessionKey, v.iv, v.encryptedData, { appid: 'wx0123456789abcdef' }),
      'WATERMARK_MISMATCH',
      /another mini program.*wx4f4bc4dec97d474b/,
    ],
    [
      'too old',
      () => decryptOpenData(v.sessionKey, v.iv, v.encryptedData, { appid: v.appId, maxAgeSeconds: 300 }),
      'DATA_EXPIRED',
      /more than 300 s ago/,
    ],
  ];
  for (const [name, fn, code, message] of table) {
    it(name, () => expectCode(fn, code, message));
  }

  it('repairs a + that arrived as a space', () => {
    const mangled = v.encryptedData.replaceAll('+', ' ');
    assert.notEqual(mangled, v.encryptedData);
    assert.equal(decryptOpenData(v.sessionKey, v.iv, mangled, { appid: v.appId }).nickName, 'Band');
  });

  it('accepts fresh data within maxAgeSeconds', () => {
    const now = 1477314187_000 + 60_000;
    assert.ok(decryptOpenData(v.sessionKey, v.iv, v.encryptedData, { appid: v.appId, maxAgeSeconds: 300, now }));
  });

  it('refuses a JSON plaintext that is not an object, and one without a watermark', () => {
    const k = key();
    const arr = encryptOpenData(k, [1, 2] as unknown as Record<string, unknown>);
    expectCode(
      () => decryptOpenData(k, arr.iv, arr.encryptedData, { appid: 'wx1' }),
      'INVALID_PLAINTEXT',
      /not an object/,
    );
    const bare = encryptOpenData(k, { a: 1 });
    expectCode(
      () => decryptOpenData(k, bare.iv, bare.encryptedData, { appid: 'wx1' }),
      'WATERMARK_MISMATCH',
      /no watermark/,
    );
  });
});

describe('open-data properties', () => {
  const payload = fc.dictionary(
    fc.string({ maxLength: 12 }).filter((s) => s !== 'watermark'),
    fc.jsonValue(),
    { maxKeys: 8 },
  );
  const watermark = fc.record({
    appid: fc.stringMatching(/^wx[0-9a-f]{16}$/),
    timestamp: fc.integer({ min: 0, max: 2 ** 31 }),
  });
  const keyArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64'));

  it('encrypt then decrypt is the identity', () => {
    fc.assert(
      fc.property(keyArb, payload, watermark, (k, p, w) => {
        const enc = encryptOpenData(k, p, { watermark: w });
        const out = decryptOpenData(k, enc.iv, enc.encryptedData, { appid: w.appid });
        assert.deepEqual(out, JSON.parse(JSON.stringify({ ...p, watermark: w })));
      }),
    );
  });

  const onlyTyped = (fn: () => unknown) => {
    try {
      fn();
      return false;
    } catch (err) {
      if (!(err instanceof OpenDataError)) throw err;
      return true;
    }
  };

  it('any bit flip of the ciphertext gives a typed error', () => {
    fc.assert(
      fc.property(keyArb, payload, watermark, fc.nat(), fc.integer({ min: 0, max: 7 }), (k, p, w, at, bit) => {
        const enc = encryptOpenData(k, p, { watermark: w });
        const bytes = Buffer.from(enc.encryptedData, 'base64');
        const i = at % bytes.length;
        bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
        // CBC: the flipped block decrypts to noise, which breaks padding, UTF-8 or JSON.
        assert.ok(onlyTyped(() => decryptOpenData(k, enc.iv, bytes.toString('base64'), { appid: w.appid })));
      }),
    );
  });

  it('any truncation gives a typed error', () => {
    fc.assert(
      fc.property(keyArb, payload, watermark, fc.nat(), (k, p, w, cut) => {
        const enc = encryptOpenData(k, p, { watermark: w });
        const bytes = Buffer.from(enc.encryptedData, 'base64');
        const short = bytes.subarray(0, cut % bytes.length);
        assert.ok(onlyTyped(() => decryptOpenData(k, enc.iv, short.toString('base64'), { appid: w.appid })));
      }),
    );
  });

  it('a wrong key gives a typed error', () => {
    fc.assert(
      fc.property(keyArb, keyArb, payload, watermark, (k1, k2, p, w) => {
        fc.pre(k1 !== k2);
        const enc = encryptOpenData(k1, p, { watermark: w });
        assert.ok(onlyTyped(() => decryptOpenData(k2, enc.iv, enc.encryptedData, { appid: w.appid })));
      }),
    );
  });

  it('arbitrary strings as inputs never throw anything but OpenDataError', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (k, iv, data) => {
        onlyTyped(() => decryptOpenData(k, iv, data, { appid: 'wx' }));
      }),
    );
  });
});
