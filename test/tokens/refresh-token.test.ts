import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { newSessionId } from '../../src/store/index.ts';
import { hashRefreshToken, isRefreshTokenShaped, newRefreshToken } from '../../src/tokens/index.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const base64url = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url'));
const sessionId = fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((ms) => newSessionId(ms));

describe('refresh tokens', () => {
  it('name their session row; what is stored is the name and the SHA-256 of the whole token', () => {
    fc.assert(
      fc.property(sessionId, (id) => {
        const { token, hash } = newRefreshToken(id);
        assert.ok(isRefreshTokenShaped(token), token);
        assert.ok(token.startsWith(`rt_${id}.`));
        assert.equal(token.length, 3 + 28 + 1 + 43);
        assert.equal(hash, `${id}.${sha256(token)}`);
        assert.equal(hashRefreshToken(token), hash);
        assert.ok(!hash.includes(token.slice(-43)), 'the secret is not stored');
      }),
    );
  });

  it('of the old form (rt_ and 43 base64url) are stored as their bare SHA-256, as before', () => {
    fc.assert(
      fc.property(base64url, (secret) => {
        const token = `rt_${secret}`;
        assert.ok(isRefreshTokenShaped(token));
        assert.equal(hashRefreshToken(token), sha256(token));
      }),
    );
  });

  it('sort by the time their row began, so their stored form appends to the unique index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 1, max: 2 ** 47 }), (t, dt) => {
        const earlier = newRefreshToken(newSessionId(t)).hash;
        const later = newRefreshToken(newSessionId(t + dt)).hash;
        assert.ok(earlier < later, `${earlier} < ${later}`);
      }),
    );
  });

  it('change their stored form when any character of the token changes, the name included', () => {
    fc.assert(
      fc.property(sessionId, fc.nat(), fc.constantFrom(...'abcXYZ234-_'), (id, at, c) => {
        const { token, hash } = newRefreshToken(id);
        const i = 3 + (at % (token.length - 3));
        if (token[i] === c || token[i] === '.') return;
        const changed = token.slice(0, i) + c + token.slice(i + 1);
        if (isRefreshTokenShaped(changed)) assert.notEqual(hashRefreshToken(changed), hash);
      }),
    );
  });

  it('refuse whatever is not one of the two forms, without throwing', () => {
    const id = newSessionId(0);
    const valid = newRefreshToken(id).token;
    for (const bad of [
      undefined,
      42,
      '',
      'rt_',
      valid.slice(0, -1),
      `${valid}A`,
      valid.replace('.', '_'),
      valid.toUpperCase(),
      `rt_${'A'.repeat(42)}`,
      ` ${valid}`,
      `${valid}\n`,
    ]) {
      assert.equal(isRefreshTokenShaped(bad), false, String(bad));
    }
    fc.assert(fc.property(fc.string(), (text) => void isRefreshTokenShaped(text)));
    assert.throws(() => newRefreshToken('u_abc'), /not a session id/);
  });
});
