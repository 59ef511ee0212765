import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startEmulator } from '../../src/emulator/start.ts';
import { findUserById, listUnionIdConflicts } from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { APPID, APPID2, SECRET, SECRET2, type Stack, startStack } from './stack.ts';

const APPID3 = 'wx00112233445566aa';
const SECRET3 = 'c1c2c3c4c5c6c7c8c9c0d1d2d3d4d5d6';

/**
 * Three mini programs on one server. APPID2 and APPID3 are bound to the open-platform account
 * "acme" from the start; APPID is bound to it later, during the tests — how unionids appear for
 * identities first seen without one, and how conflicts arise in real life.
 */
forEachDialect('account linking across mini programs', (h) => {
  let s: Stack;
  let kimInApp1: string;
  let kimInApp2: string;
  let jackInApp1: string;
  before(async () => {
    const emulator = h.track(
      await startEmulator({
        apps: [
          { appid: APPID, secret: SECRET },
          { appid: APPID2, secret: SECRET2, openPlatform: 'acme' },
          { appid: APPID3, secret: SECRET3, openPlatform: 'acme' },
        ],
        logger: false,
      }),
    );
    s = await startStack(h, {
      emulator,
      env: { WEAPP_APPS: `${APPID}:${SECRET},${APPID2}:${SECRET2},${APPID3}:${SECRET3}` },
    });
    // Before APPID is bound: WeChat gives it no unionid, so nothing can tie these to other apps.
    jackInApp1 = (await s.login('jack')).body.user.id;
    kimInApp1 = (await s.login('kim')).body.user.id;
    kimInApp2 = (await s.login('kim', {}, APPID2)).body.user.id;
    assert.notEqual(kimInApp1, kimInApp2);
    // The operator binds APPID to the open platform: from now on WeChat reports unionids for it.
    s.emulator.control.registerApp({ appid: APPID, secret: SECRET, openPlatform: 'acme' });
  });

  it('resolves one person in two mini programs of one open platform to one user; tokens carry their app', async () => {
    const inApp2 = await s.login('ida', {}, APPID2);
    const inApp3 = await s.login('ida', {}, APPID3);
    assert.equal(inApp2.body.isNewUser, true);
    assert.equal(inApp3.status, 200, inApp3.text);
    assert.equal(inApp3.body.isNewUser, false);
    assert.equal(inApp3.body.user.id, inApp2.body.user.id);
    const claims2 = decodeJwt(inApp2.body.accessToken);
    const claims3 = decodeJwt(inApp3.body.accessToken);
    assert.equal(claims2.aud, APPID2);
    assert.equal(claims3.aud, APPID3);
    assert.equal(claims2.openid, s.emulator.control.identity(APPID2, 'ida').openid);
    assert.equal(claims3.openid, s.emulator.control.identity(APPID3, 'ida').openid);
    assert.notEqual(claims2.openid, claims3.openid);
    // A profile set through one app is the user's in every app.
    await s.call('PATCH', '/v1/me', { token: inApp2.body.accessToken, body: { nickname: 'Ida' } });
    assert.equal((await s.call('GET', '/v1/me', { token: inApp3.body.accessToken })).body.user.nickname, 'Ida');
  });

  it('upgrades an identity first seen without unionid, then links the other app to it', async () => {
    const again = await s.login('jack');
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.user.id, jackInApp1);
    const { unionid } = s.emulator.control.identity(APPID, 'jack');
    assert.ok(unionid);
    assert.equal((await findUserById(s.ctx.store.db, jackInApp1))?.unionid, unionid);
    const inApp2 = await s.login('jack', {}, APPID2);
    assert.equal(inApp2.body.isNewUser, false);
    assert.equal(inApp2.body.user.id, jackInApp1);
  });

  it('refuses a unionid already held by another user: typed error, logged, listed, nothing merged', async () => {
    const refused = await s.login('kim');
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, 'UNIONID_CONFLICT');
    assert.equal(refused.body.details.appid, APPID);
    const warning = s.logs.find((l) => l.includes('login refused') && l.includes(kimInApp1));
    assert.ok(warning, 'a warn line names both users');
    assert.equal(JSON.parse(warning).level, 40);
    assert.ok(warning.includes(kimInApp2));
    // A retry is refused the same way and does not add a second case.
    assert.equal((await s.login('kim')).status, 409);
    const conflicts = await listUnionIdConflicts(s.ctx.store.db);
    assert.equal(conflicts.length, 1);
    assert.deepEqual(
      {
        appid: conflicts[0]?.appid,
        openid: conflicts[0]?.openid,
        unionid: conflicts[0]?.unionid,
        userId: conflicts[0]?.userId,
        otherUserId: conflicts[0]?.otherUserId,
      },
      {
        appid: APPID,
        openid: s.emulator.control.identity(APPID, 'kim').openid,
        unionid: s.emulator.control.identity(APPID2, 'kim').unionid,
        userId: kimInApp1,
        otherUserId: kimInApp2,
      },
    );
    assert.equal((await findUserById(s.ctx.store.db, kimInApp1))?.unionid, null);
    assert.equal((await s.login('kim', {}, APPID2)).body.user.id, kimInApp2);
    const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /weapp_auth_logins_total\{outcome="UNIONID_CONFLICT"\} 2/);
  });
});
