import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, createAuth } from '../../packages/miniprogram/src/index.ts';
import { listAuditEvents } from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, type Stack, startStack } from '../server/stack.ts';
import { phone } from './phone.ts';

const DAY_MS = 86_400_000;
const tokensKey = `weapp-auth:${APPID}:tokens`;

const userRow = (s: Stack, id: string) =>
  s.ctx.store.db.selectFrom('users').select(['id', 'deletion_due_at']).where('id', '=', id).executeTakeFirst();

forEachDialect('mini program SDK: deleteAccount and exportData', (h) => {
  describe('with a 7-day cooling-off period', () => {
    it('schedules the deletion, forgets the session here; logging in again within the period cancels it', async () => {
      const s = await startStack(h, { env: { DELETION_COOLING_OFF_DAYS: '7' } });
      const p = phone(s, 'rights-amy');
      const { user } = await p.auth.login();
      const reasons: string[] = [];
      p.auth.on('logout', (e) => reasons.push(e.reason));

      const deletion = await p.auth.deleteAccount();
      assert.equal(deletion.status, 'scheduled');
      assert.equal(deletion.purgeAt - deletion.requestedAt, 7 * DAY_MS);
      assert.equal(p.auth.isLoggedIn, false);
      assert.equal(p.auth.user, undefined);
      assert.equal(p.wx.getStorageSync(tokensKey), '', 'the tokens are gone from storage');
      assert.equal(p.restart().isLoggedIn, false, 'a restart does not pick the session up again');
      assert.deepEqual(reasons, ['account_deleted']);
      assert.equal((await userRow(s, user.id))?.deletion_due_at, deletion.purgeAt);
      assert.equal(p.calls('request', '/v1/me'), 1, 'one DELETE');

      // The user changes their mind: a login before purgeAt keeps the account.
      const back = await p.auth.login();
      assert.equal(back.isNewUser, false);
      assert.equal(back.user.id, user.id);
      assert.equal((await userRow(s, user.id))?.deletion_due_at, null);
      const exported = await p.auth.exportData();
      assert.equal(exported.user.deletionDueAt, null);
      assert.ok(exported.securityEvents.some((e) => e.type === 'deletion.cancelled'));
    });
  });

  describe('without a cooling-off period (the default)', () => {
    it('deletes at once; the same WeChat user comes back as a new user', async () => {
      const s = await startStack(h);
      const p = phone(s, 'rights-ben');
      const { user } = await p.auth.login();
      const deletion = await p.auth.deleteAccount();
      assert.equal(deletion.status, 'deleted');
      assert.equal(deletion.purgeAt, deletion.requestedAt);
      assert.equal(await userRow(s, user.id), undefined);
      const again = await p.auth.login();
      assert.equal(again.isNewUser, true);
      assert.notEqual(again.user.id, user.id);
    });

    it('exportData returns everything held, typed, and the export is audited', async () => {
      const s = await startStack(h);
      const p = phone(s, 'rights-cat');
      await p.auth.updateProfile({ nickname: 'Cat 猫' });
      const data = await p.auth.exportData();
      assert.equal(data.user.id, p.auth.user?.id);
      assert.equal(data.user.nickname, 'Cat 猫');
      assert.equal(typeof data.exportedAt, 'number');
      const { openid } = s.emulator.control.identity(APPID, 'rights-cat');
      assert.deepEqual(
        data.identities.map((i) => [i.appid, i.openid]),
        [[APPID, openid]],
      );
      assert.equal(data.sessions.length, 1);
      assert.equal(data.sessions[0]?.endedAt, null);
      assert.ok(data.securityEvents.some((e) => e.type === 'login'));
      const exports = await listAuditEvents(s.ctx.store.db, { userId: data.user.id, type: 'export' });
      assert.equal(exports.length, 1);
    });

    it('a deletion that gets no answer rejects typed, is not sent again, and keeps the session', async () => {
      const s = await startStack(h);
      const p = phone(s, 'rights-dan');
      await p.auth.login();
      // The same phone (its storage, its tokens), the server gone: nothing answers on port 9.
      const offline = createAuth({ baseUrl: 'http://127.0.0.1:9', wx: p.wx });
      await assert.rejects(offline.deleteAccount(), (err: unknown) => {
        assert.ok(err instanceof AuthError);
        assert.equal(err.code, 'NETWORK_ERROR');
        return true;
      });
      assert.equal(p.calls('request', '/v1/me'), 1, 'never repeated: a lost answer may hide a deletion done');
      assert.equal(offline.isLoggedIn, true);
      assert.notEqual(p.wx.getStorageSync(tokensKey), '');
    });
  });
});
