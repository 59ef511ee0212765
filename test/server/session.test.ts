import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, it } from 'node:test';
import { findIdentityForUser, getSessionKeys } from '../../src/store/index.ts';
import { hashRefreshToken } from '../../src/tokens/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, SECRET, type Stack, startStack } from './stack.ts';

/** The session (family) id an access token names. */
const sidOf = (accessToken: string): string =>
  JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()).sid;

forEachDialect('tokens and sessions', (h) => {
  let s: Stack;
  before(async () => {
    s = await startStack(h);
  });

  it('GET /v1/me answers the owner, with the phone fields', async () => {
    const login = await s.login('pat');
    const me = await s.call('GET', '/v1/me', { token: login.body.accessToken });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.id, login.body.user.id);
    assert.ok('phoneNumber' in me.body.user);
    assert.deepEqual(me.body.next, ['profile_incomplete', 'phone_missing']);
    for (const bad of ['Bearer nope', 'Basic abc', `Bearer ${login.body.accessToken}x`]) {
      const res = await s.call('GET', '/v1/me', { headers: { authorization: bad } });
      assert.equal(res.status, 401, bad);
      assert.equal(res.body.code, 'TOKEN_INVALID');
    }
  });

  it('rotates the refresh token on every use; a late replay revokes the whole session', async () => {
    const login = await s.login('quinn');
    const r1 = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: login.body.refreshToken } });
    assert.equal(r1.status, 200, r1.text);
    assert.notEqual(r1.body.refreshToken, login.body.refreshToken);
    assert.equal((await s.call('GET', '/v1/me', { token: r1.body.accessToken })).status, 200);
    const r2 = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: r1.body.refreshToken } });
    assert.equal(r2.status, 200);
    // Replaying r1's token outside the grace window: someone holds a copy.
    await s.ctx.store.db
      .updateTable('sessions')
      .set({ last_used_at: Date.now() - 60_000 })
      .where('replaced_by', 'is not', null)
      .execute();
    const replay = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: r1.body.refreshToken } });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.code, 'REFRESH_TOKEN_REUSED');
    // The whole family is gone, including the newest pair.
    const after = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: r2.body.refreshToken } });
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'SESSION_REVOKED');
    const me = await s.call('GET', '/v1/me', { token: r2.body.accessToken });
    assert.equal(me.status, 401);
    assert.equal(me.body.code, 'SESSION_REVOKED');
  });

  it('treats a double submit within seconds as benign: both answers work', async () => {
    const login = await s.login('rita');
    const [a, b] = await Promise.all([
      s.call('POST', '/v1/token/refresh', { body: { refreshToken: login.body.refreshToken } }),
      s.call('POST', '/v1/token/refresh', { body: { refreshToken: login.body.refreshToken } }),
    ]);
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    for (const pair of [a, b]) {
      const next = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: pair.body.refreshToken } });
      assert.equal(next.status, 200, next.text);
    }
  });

  it('refuses unknown and malformed refresh tokens', async () => {
    const unknown = [`rt_${'A'.repeat(43)}`, `rt_s_${'a'.repeat(26)}.${'A'.repeat(43)}`];
    const malformed = [
      'garbage',
      `rt_s_${'a'.repeat(25)}.${'A'.repeat(43)}`,
      `rt_s_${'A'.repeat(26)}.${'A'.repeat(43)}`,
    ];
    for (const refreshToken of [...unknown, ...malformed]) {
      const res = await s.call('POST', '/v1/token/refresh', { body: { refreshToken } });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'REFRESH_TOKEN_INVALID');
    }
  });

  it('a refresh token names its session row; the database holds the name and a hash, never the token', async () => {
    const login = await s.login('noor');
    const token: string = login.body.refreshToken;
    const named = /^rt_(s_[a-z2-7]{26})\.([A-Za-z0-9_-]{43})$/.exec(token);
    assert.ok(named, token);
    const [, sessionId = '', secret = ''] = named;
    assert.equal(sessionId, sidOf(login.body.accessToken), 'a login starts a family: its first row is the session');
    const row = await s.ctx.store.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    assert.equal(row.refresh_token_hash, hashRefreshToken(token));
    assert.match(row.refresh_token_hash, new RegExp(`^${sessionId}\\.[0-9a-f]{64}$`));
    assert.ok(!row.refresh_token_hash.includes(secret));

    // The successor is named too, by the row the rotation wrote.
    const next = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: token } });
    assert.equal(next.status, 200, next.text);
    const successorId = /^rt_(s_[a-z2-7]{26})\./.exec(next.body.refreshToken)?.[1];
    const claimed = await s.ctx.store.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    assert.ok(successorId, next.body.refreshToken);
    assert.equal(claimed.replaced_by, successorId);
    const successor = await s.ctx.store.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', successorId)
      .executeTakeFirstOrThrow();
    assert.equal(successor.refresh_token_hash, hashRefreshToken(next.body.refreshToken));
  });

  it("another row's name on a token's secret is an unknown token, and harms neither session", async () => {
    const a = await s.login('olga');
    const b = await s.login('omar');
    const nameOf = (token: string) => token.slice(3, 3 + 28);
    const forged = a.body.refreshToken.replace(nameOf(a.body.refreshToken), nameOf(b.body.refreshToken));
    const res = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: forged } });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'REFRESH_TOKEN_INVALID');
    for (const login of [a, b]) {
      const ok = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: login.body.refreshToken } });
      assert.equal(ok.status, 200, ok.text);
    }
  });

  it('a refresh token of the old form (no name) still refreshes until it expires, and its reuse is caught', async () => {
    const login = await s.login('otto');
    // What a server before named tokens issued and stored: rt_ + 43 base64url, its bare SHA-256.
    const legacy = `rt_${randomBytes(32).toString('base64url')}`;
    await s.ctx.store.db
      .updateTable('sessions')
      .set({ refresh_token_hash: createHash('sha256').update(legacy).digest('hex') })
      .where('id', '=', sidOf(login.body.accessToken))
      .execute();
    const r1 = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: legacy } });
    assert.equal(r1.status, 200, r1.text);
    assert.match(r1.body.refreshToken, /^rt_s_[a-z2-7]{26}\./, 'answered in the named form');
    assert.equal(sidOf(r1.body.accessToken), sidOf(login.body.accessToken));
    assert.equal(
      (await s.call('POST', '/v1/token/refresh', { body: { refreshToken: r1.body.refreshToken } })).status,
      200,
    );
    await s.ctx.store.db
      .updateTable('sessions')
      .set({ last_used_at: Date.now() - 60_000 })
      .where('id', '=', sidOf(login.body.accessToken))
      .execute();
    const replay = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: legacy } });
    assert.equal(replay.body.code, 'REFRESH_TOKEN_REUSED', replay.text);
  });

  it('logout ends the session at once', async () => {
    const login = await s.login('sam');
    const out = await s.call('POST', '/v1/logout', { token: login.body.accessToken });
    assert.equal(out.status, 200, out.text);
    assert.equal((await s.call('GET', '/v1/me', { token: login.body.accessToken })).body.code, 'SESSION_REVOKED');
    const refresh = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: login.body.refreshToken } });
    assert.equal(refresh.body.code, 'SESSION_REVOKED');
    // Another session of the same user is untouched.
    const other = await s.login('sam');
    assert.equal((await s.call('GET', '/v1/me', { token: other.body.accessToken })).status, 200);
  });

  it('refuses an expired access token with TOKEN_EXPIRED', async () => {
    const login = await s.login('tina');
    s.clock.offsetMs = 7201 * 1000;
    try {
      const res = await s.call('GET', '/v1/me', { token: login.body.accessToken });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'TOKEN_EXPIRED');
      assert.match(res.body.message, /token\/refresh/);
    } finally {
      s.clock.offsetMs = 0;
    }
  });

  it('keeps every session and signing key across a restart', async () => {
    const login = await s.login('uma');
    const jwksBefore = (await s.call('GET', '/.well-known/jwks.json')).body;
    await s.close();
    s = await startStack(h, { database: s.database, emulator: s.emulator });
    assert.deepEqual((await s.call('GET', '/.well-known/jwks.json')).body, jwksBefore);
    assert.equal((await s.call('GET', '/v1/me', { token: login.body.accessToken })).status, 200);
    const refreshed = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: login.body.refreshToken } });
    assert.equal(refreshed.status, 200, refreshed.text);
  });

  it('rotates signing keys: old tokens still verify, new ones use the new key', async () => {
    const before = await s.login('vic');
    const { kid } = await s.ctx.tokens.rotateKeys();
    const jwks = (await s.call('GET', '/.well-known/jwks.json')).body;
    assert.equal(jwks.keys.length, 2);
    assert.equal((await s.call('GET', '/v1/me', { token: before.body.accessToken })).status, 200);
    const after = await s.login('vic');
    const header = JSON.parse(Buffer.from(after.body.accessToken.split('.')[0], 'base64url').toString());
    assert.equal(header.kid, kid);
    for (const key of jwks.keys) assert.ok(!('d' in key), 'no private part in the JWKS');
  });

  it('never puts a session_key, the app secret or a refresh token in a response or a log line', async () => {
    const login = await s.login('wendy');
    const info = s.userInfo('wendy');
    await s.call('POST', '/v1/me/userinfo', { token: login.body.accessToken, body: info });
    await s.call('POST', '/v1/token/refresh', { body: { refreshToken: login.body.refreshToken } });
    const identity = await findIdentityForUser(s.ctx.store.db, login.body.user.id, APPID);
    assert.ok(identity);
    const { current, previous } = getSessionKeys(s.ctx.store, identity);
    const secrets = [current, previous, SECRET, login.body.refreshToken].filter((x): x is string => Boolean(x));
    const logs = s.logs.join('');
    assert.ok(logs.length > 0);
    for (const secret of secrets) {
      assert.ok(!logs.includes(secret), 'a secret reached the logs');
      assert.ok(!JSON.stringify(login.body).includes(secret) || secret === login.body.refreshToken);
    }
    // Stored sealed: the raw key is not in the row.
    const row = await s.ctx.store.db
      .selectFrom('identities')
      .selectAll()
      .where('id', '=', identity.id)
      .executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes(current));
    const sessions = await s.ctx.store.db.selectFrom('sessions').select('refresh_token_hash').execute();
    assert.ok(!JSON.stringify(sessions).includes(login.body.refreshToken));
  });
});

forEachDialect('login rate limit', (h) => {
  it('limits logins per client IP with 429 RATE_LIMITED', async () => {
    const s = await startStack(h, { env: { LOGIN_RATE_LIMIT: '3' } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await s.login(`x${i}`)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const res = await s.login('y');
    assert.equal(res.body.code, 'RATE_LIMITED');
    assert.match(res.body.message, /retry in \d+ s/);
  });
});
