import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import { AccessTokenError, signAccessToken, verifyAccessToken } from '../../src/tokens/access-token.ts';
import { generateSigningKey, KeyRing } from '../../src/tokens/key-ring.ts';

const NOW = Date.UTC(2026, 0, 1);
const input = { userId: 'u_1', appid: 'wxapp', sessionId: 's_1', openid: 'o_1', issuer: 'weapp-auth', ttlSeconds: 600 };
const options = { issuer: 'weapp-auth', audiences: ['wxapp'], now: NOW };

async function ring() {
  const material = await generateSigningKey(NOW);
  return { material, ring: await KeyRing.from([material]) };
}

function refusedWith(code: string, message: RegExp) {
  return (err: unknown) => err instanceof AccessTokenError && err.code === code && message.test(err.message);
}

describe('access tokens over node:crypto', () => {
  it('are the tokens jose signed before, and verify with jose against the published JWKS', async () => {
    const { material, ring: keys } = await ring();
    const ours = signAccessToken(keys, { ...input, now: NOW });
    const privateKey = await importJWK(material.privateJwk, 'EdDSA');
    const josed = await new SignJWT({ sid: input.sessionId, openid: input.openid })
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.signingKid, typ: 'at+jwt' })
      .setSubject(input.userId)
      .setAudience(input.appid)
      .setIssuer(input.issuer)
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + input.ttlSeconds)
      .sign(privateKey);
    // Ed25519 is deterministic: same key, same input, same bytes.
    assert.equal(ours, josed);
    const { payload, protectedHeader } = await jwtVerify(ours, createLocalJWKSet(keys.jwks()), {
      issuer: 'weapp-auth',
      audience: 'wxapp',
      typ: 'at+jwt',
      currentDate: new Date(NOW),
    });
    assert.deepEqual(protectedHeader, { alg: 'EdDSA', kid: keys.signingKid, typ: 'at+jwt' });
    assert.equal(payload.sid, 's_1');
    assert.deepEqual(verifyAccessToken(keys, ours, options), {
      sid: 's_1',
      openid: 'o_1',
      sub: 'u_1',
      aud: 'wxapp',
      iss: 'weapp-auth',
      iat: NOW / 1000,
      exp: NOW / 1000 + 600,
    });
  });

  it('refuses tampered, foreign, misaddressed and expired tokens with the codes jose gave', async () => {
    const { ring: keys } = await ring();
    const { ring: other } = await ring();
    const token = signAccessToken(keys, { ...input, now: NOW });
    const [h, p, s] = token.split('.') as [string, string, string];
    const swap = (claims: Record<string, unknown>) =>
      `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...claims })).toString('base64url')}.${s}`;
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${p}.`;
    const cases: [string, string, string, RegExp][] = [
      ['not a JWS', 'abc', 'TOKEN_INVALID', /ERR_JWS_INVALID/],
      ['empty signature', `${h}.${p}.`, 'TOKEN_INVALID', /ERR_JWS_INVALID/],
      ['alg none', none, 'TOKEN_INVALID', /ERR_JWS_INVALID|ERR_JOSE_ALG_NOT_ALLOWED/],
      ['a changed claim', swap({ sub: 'u_2' }), 'TOKEN_INVALID', /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
      ['a short signature', `${h}.${p}.${s.slice(10)}`, 'TOKEN_INVALID', /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
      ['a bad character', `${h}.${p}.${s.slice(1)}*`, 'TOKEN_INVALID', /ERR_JWS_INVALID/],
    ];
    for (const [what, bad, code, message] of cases) {
      assert.throws(() => verifyAccessToken(keys, bad, options), refusedWith(code, message), what);
    }
    assert.throws(
      () => verifyAccessToken(other, token, options),
      (err) => err instanceof AccessTokenError && err.refusal === 'ERR_JWKS_NO_MATCHING_KEY',
    );
    assert.throws(
      () => verifyAccessToken(keys, token, { ...options, audiences: ['wxother'] }),
      refusedWith('TOKEN_INVALID', /ERR_JWT_CLAIM_VALIDATION_FAILED/),
    );
    assert.throws(
      () => verifyAccessToken(keys, token, { ...options, issuer: 'someone' }),
      refusedWith('TOKEN_INVALID', /ERR_JWT_CLAIM_VALIDATION_FAILED/),
    );
    assert.throws(
      () => verifyAccessToken(keys, token, { ...options, now: NOW + 600_000 }),
      refusedWith('TOKEN_EXPIRED', /expired/),
    );
    assert.ok(verifyAccessToken(keys, token, { ...options, now: NOW + 599_999 }));
  });
});
