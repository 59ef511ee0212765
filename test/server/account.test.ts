import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { mediaKeyOfUrl } from '../../src/media/index.ts';
import { toApiError } from '../../src/server/error-handler.ts';
import { purgeDueAccounts } from '../../src/server/user-rights/account-deletion.ts';
import { createSession, listAuditEvents } from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { IMAGES, uploadRaw } from './images.ts';
import { APPID, type Stack, startStack } from './stack.ts';

const DAY_MS = 86_400_000;

/** A logged-in user with an avatar and a phone number: something to delete and to export. */
async function fullUser(s: Stack, name: string, avatar: Uint8Array = IMAGES.png) {
  const login = await s.login(name);
  assert.equal(login.status, 200, login.text);
  const { accessToken, refreshToken } = login.body;
  const upload = await uploadRaw(s, avatar, { token: accessToken, type: 'image/png' });
  assert.equal(upload.status, 200, upload.text);
  const phone = s.emulator.control.getPhoneNumber(APPID, name) as { code: string };
  const bound = await s.call('POST', '/v1/me/phone', { token: accessToken, body: { code: phone.code } });
  assert.equal(bound.status, 200, bound.text);
  return { accessToken, refreshToken, userId: login.body.user.id as string, avatarUrl: upload.body.user.avatarUrl };
}

const avatarFile = (s: Stack, url: string) => join(s.avatarDir, mediaKeyOfUrl(url) ?? 'none');

forEachDialect('account deletion and export', (h) => {
  describe('DELETE /v1/me without a cooling-off period', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('ends every session at once, deletes the user and its avatar; the same WeChat user returns as new', async () => {
      const amy = await fullUser(s, 'del-amy');
      const second = await s.login('del-amy');
      const phone = (await s.call('GET', '/v1/me/export', { token: amy.accessToken })).body.user.phoneNumber;
      assert.match(phone, /^\d{11}$/);
      assert.ok(existsSync(avatarFile(s, amy.avatarUrl)));

      const res = await s.call('DELETE', '/v1/me', { token: amy.accessToken });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'deleted');
      assert.equal(res.body.purgeAt, res.body.requestedAt);

      for (const token of [amy.accessToken, second.body.accessToken]) {
        const me = await s.call('GET', '/v1/me', { token });
        assert.equal(me.status, 401, 'every session of the user ended');
      }
      const refresh = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: amy.refreshToken } });
      assert.equal(refresh.status, 401);
      assert.equal(existsSync(avatarFile(s, amy.avatarUrl)), false, 'the avatar file nobody else uses is gone');
      const db = s.ctx.store.db;
      assert.equal((await db.selectFrom('users').select('id').where('id', '=', amy.userId).execute()).length, 0);
      assert.equal(
        (await db.selectFrom('identities').select('id').where('user_id', '=', amy.userId).execute()).length,
        0,
      );

      const again = await s.login('del-amy');
      assert.equal(again.body.isNewUser, true);
      assert.notEqual(again.body.user.id, amy.userId);
      assert.equal(again.body.user.phoneNumber, null);

      // What stays: the audit trail, by an id that leads nowhere, without personal data.
      const events = await listAuditEvents(db, { userId: amy.userId });
      assert.deepEqual(
        events.map((e) => e.type).filter((t) => t.startsWith('deletion.')),
        ['deletion.purged', 'deletion.requested'],
      );
      assert.ok(!JSON.stringify(events).includes(phone), 'no phone number in the audit trail');
    });

    it('keeps an avatar file another user still shows', async () => {
      const bob = await fullUser(s, 'del-bob', IMAGES.gif);
      const cat = await fullUser(s, 'del-cat', IMAGES.gif);
      assert.equal(bob.avatarUrl, cat.avatarUrl);
      assert.equal((await s.call('DELETE', '/v1/me', { token: bob.accessToken })).status, 200);
      assert.ok(existsSync(avatarFile(s, cat.avatarUrl)));
      assert.equal((await s.call('GET', '/v1/me', { token: cat.accessToken })).status, 200);
    });

    it("takes wx.request's DELETE: Content-Type application/json with no body; bytes that are not JSON stay refused", async () => {
      const login = await s.login('del-wx');
      const token = login.body.accessToken as string;
      const json = { 'content-type': 'application/json' };
      const garbled = await s.call('DELETE', '/v1/me', { token, headers: json, body: 'not json' });
      assert.equal(garbled.status, 400, garbled.text);
      assert.equal(garbled.body.code, 'INVALID_JSON');
      const res = await s.call('DELETE', '/v1/me', { token, headers: json });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'deleted');
    });

    it('asks for a bearer token', async () => {
      const res = await s.call('DELETE', '/v1/me');
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'UNAUTHORIZED');
    });
  });

  describe('with DELETION_COOLING_OFF_DAYS=7', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h, { env: { DELETION_COOLING_OFF_DAYS: '7' } });
    });

    it('schedules the purge, ends the sessions; a login during the period cancels it', async () => {
      const dan = await fullUser(s, 'cool-dan');
      const res = await s.call('DELETE', '/v1/me', { token: dan.accessToken });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'scheduled');
      assert.equal(res.body.purgeAt - res.body.requestedAt, 7 * DAY_MS);
      assert.equal((await s.call('GET', '/v1/me', { token: dan.accessToken })).status, 401);

      const back = await s.login('cool-dan');
      assert.equal(back.body.isNewUser, false);
      assert.equal(back.body.user.id, dan.userId);
      const exported = await s.call('GET', '/v1/me/export', { token: back.body.accessToken });
      assert.equal(exported.body.user.deletionDueAt, null);
      const types = (await listAuditEvents(s.ctx.store.db, { userId: dan.userId })).map((e) => e.type);
      assert.ok(types.includes('deletion.cancelled'));

      // A purge run finds nothing due.
      s.clock.offsetMs += 8 * DAY_MS;
      const deps = { db: s.ctx.store.db, media: s.ctx.media, now: s.ctx.now };
      assert.equal(await purgeDueAccounts(deps), 0);
      s.clock.offsetMs = 0;
    });

    it('cleanup purges it once the period is over, not before', async () => {
      const eve = await fullUser(s, 'cool-eve', IMAGES.webp);
      assert.equal((await s.call('DELETE', '/v1/me', { token: eve.accessToken })).status, 200);
      const deps = { db: s.ctx.store.db, media: s.ctx.media, now: s.ctx.now };
      s.clock.offsetMs = 6 * DAY_MS;
      assert.equal(await purgeDueAccounts(deps), 0);
      s.clock.offsetMs = 7 * DAY_MS + 1;
      assert.equal(await purgeDueAccounts(deps), 1);
      s.clock.offsetMs = 0;
      const again = await s.login('cool-eve');
      assert.equal(again.body.isNewUser, true);
      assert.equal(existsSync(avatarFile(s, eve.avatarUrl)), false);
    });
  });

  describe('audit log', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('records phone binding, refresh-token reuse and logout, with the client IP and no secret', async () => {
      const gus = await fullUser(s, 'audit-gus');
      const first = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: gus.refreshToken } });
      assert.equal(first.status, 200);
      s.clock.offsetMs += 60_000;
      const reused = await s.call('POST', '/v1/token/refresh', { body: { refreshToken: gus.refreshToken } });
      assert.equal(reused.body.code, 'REFRESH_TOKEN_REUSED');
      s.clock.offsetMs = 0;
      const again = await s.login('audit-gus');
      assert.equal((await s.call('POST', '/v1/logout', { token: again.body.accessToken })).status, 200);
      const events = await listAuditEvents(s.ctx.store.db, { userId: gus.userId });
      const types = events.map((e) => e.type);
      for (const type of ['phone.bound', 'refresh.reused', 'logout', 'login'] as const)
        assert.ok(types.includes(type), type);
      assert.ok(events.every((e) => e.type === 'phone.bound' || e.ip === '127.0.0.1'));
      const text = JSON.stringify(events);
      for (const secret of [gus.accessToken, gus.refreshToken]) assert.ok(!text.includes(secret));
    });
  });

  it('a write for an account deleted meanwhile answers SESSION_REVOKED, not INTERNAL (a 500 seen in the fuzz run)', async () => {
    const store = await h.openStore();
    const err = await createSession(store.db, {
      userId: 'u_deletedwhilethisloginran000000',
      appid: APPID,
      refreshTokenHash: 'f'.repeat(64),
      expiresAt: Date.now() + DAY_MS,
    }).then(
      () => assert.fail('a session for a user that does not exist was stored'),
      (e: unknown) => e,
    );
    assert.equal(toApiError(err)?.code, 'SESSION_REVOKED');
  });

  describe('GET /v1/me/export', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h);
    });

    it('holds the profile, identities, sessions and security events — never a session key or token hash', async () => {
      const fay = await fullUser(s, 'export-fay');
      const res = await s.call('GET', '/v1/me/export', { token: fay.accessToken });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const { user, identities, sessions, securityEvents } = res.body;
      assert.equal(user.id, fay.userId);
      assert.match(user.phoneNumber, /^\d{11}$/, 'the full number: it is the owner asking');
      assert.equal(user.avatarUrl, fay.avatarUrl);
      assert.deepEqual(
        identities.map((i: { appid: string }) => i.appid),
        [APPID],
      );
      assert.equal(typeof identities[0].openid, 'string');
      assert.ok(sessions.length >= 1);
      assert.ok(securityEvents.some((e: { type: string }) => e.type === 'login'));
      assert.doesNotMatch(res.text, /session_?key|refresh_token_hash|sealed/i);
      const events = await listAuditEvents(s.ctx.store.db, { userId: fay.userId, type: 'export' });
      assert.equal(events.length, 1);
    });
  });
});
