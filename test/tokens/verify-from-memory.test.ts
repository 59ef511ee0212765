import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { LocalInvalidationBus } from '../../src/revocation/local-bus.ts';
import { type Store, upsertIdentityOnLogin } from '../../src/store/index.ts';
import { TokenService } from '../../src/tokens/index.ts';
import { forEachDialect } from '../helpers/databases.ts';

/**
 * TokenService.verifyFromMemory answers an authenticated request synchronously (no promise, no
 * database) from what this process already holds. It must never answer what verifyWithUser would
 * refuse: a token it has not verified, an expired one, an ended session, a changed user, a bus
 * that cannot vouch for its feed.
 */
const APPID = 'wx4f4bc4dec97d474b';
const TTL_SECONDS = 600;

async function setUp(store: Store, options: { bus?: LocalInvalidationBus | undefined } = {}) {
  let now = Date.now();
  const tokens = await TokenService.open({
    store,
    issuer: 'https://auth.test',
    audiences: [APPID],
    accessTokenTtlSeconds: TTL_SECONDS,
    refreshTokenTtlSeconds: 86_400,
    invalidations: options.bus,
    now: () => now,
  });
  const { user } = await upsertIdentityOnLogin(store, {
    appid: APPID,
    openid: `oMemory${randomBytes(8).toString('hex')}`,
    sessionKey: randomBytes(16).toString('base64'),
  });
  const issued = await tokens.issue({ userId: user.id, appid: APPID, openid: 'oMemory' });
  return { tokens, user, issued, advance: (ms: number) => (now += ms) };
}

forEachDialect(
  'TokenService.verifyFromMemory',
  (h) => {
    it('answers only after a full verification, with the same claims and user', async () => {
      const { tokens, user, issued } = await setUp(await h.openStore(), { bus: new LocalInvalidationBus() });
      assert.equal(tokens.verifyFromMemory(issued.accessToken), undefined, 'never verified here: no answer');
      const full = await tokens.verifyWithUser(issued.accessToken);
      const known = tokens.verifyFromMemory(issued.accessToken);
      assert.ok(known);
      assert.deepEqual(known.claims, full.claims);
      assert.equal(known.user.id, user.id);
      assert.equal(known.claims.sid, issued.sessionId);
    });

    it('forgets an ended session at once, and a token past its expiry', async () => {
      const { tokens, issued } = await setUp(await h.openStore(), { bus: new LocalInvalidationBus() });
      await tokens.verifyWithUser(issued.accessToken);
      assert.ok(tokens.verifyFromMemory(issued.accessToken));
      await tokens.revoke(issued.sessionId);
      assert.equal(tokens.verifyFromMemory(issued.accessToken), undefined);
      await assert.rejects(tokens.verifyWithUser(issued.accessToken), { code: 'SESSION_REVOKED' });

      const other = await setUp(await h.openStore(), { bus: new LocalInvalidationBus() });
      await other.tokens.verifyWithUser(other.issued.accessToken);
      assert.ok(other.tokens.verifyFromMemory(other.issued.accessToken));
      other.advance(TTL_SECONDS * 1000);
      assert.equal(other.tokens.verifyFromMemory(other.issued.accessToken), undefined, 'expired');
      await assert.rejects(other.tokens.verifyWithUser(other.issued.accessToken), { code: 'TOKEN_EXPIRED' });
    });

    it('drops the user when a change to it is announced', async () => {
      const { tokens, user, issued } = await setUp(await h.openStore(), { bus: new LocalInvalidationBus() });
      await tokens.verifyWithUser(issued.accessToken);
      await tokens.announce({ kind: 'user', id: user.id });
      assert.equal(tokens.verifyFromMemory(issued.accessToken), undefined);
      await tokens.verifyWithUser(issued.accessToken);
      assert.ok(tokens.verifyFromMemory(issued.accessToken), 'kept again after the next full read');
    });

    it('answers nothing while the bus cannot vouch for its feed, and nothing without a bus', async () => {
      let version: number | undefined = 1;
      const bus = new LocalInvalidationBus(() => version, { recheckMs: 0 });
      const { tokens, issued } = await setUp(await h.openStore(), { bus });
      await tokens.verifyWithUser(issued.accessToken);
      assert.ok(tokens.verifyFromMemory(issued.accessToken));
      version = undefined; // the file's data_version cannot be read: not trusted
      assert.equal(tokens.verifyFromMemory(issued.accessToken), undefined);

      const alone = await setUp(await h.openStore());
      await alone.tokens.verifyWithUser(alone.issued.accessToken);
      assert.equal(alone.tokens.verifyFromMemory(alone.issued.accessToken), undefined);
    });
  },
  { only: ['sqlite'] },
);
