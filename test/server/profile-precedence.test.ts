import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDialect } from '../helpers/databases.ts';
import { IMAGES } from './images.ts';
import { APPID, type Stack, startStack } from './stack.ts';

/**
 * Issue 14: what the user typed or picked in the fill-in components wins over WeChat's legacy
 * getUserInfo data, which every login of the tutorial's flow posts again.
 */
forEachDialect('profile precedence: the fill-in components over legacy data', (h) => {
  let s: Stack;
  before(async () => {
    s = h.track(await startStack(h));
  });

  /** The tutorial's start: wx.login, then wx.getUserInfo (sealed with that login's key), one POST. */
  async function loginWithUserInfo(user: string) {
    const { code } = s.emulator.control.login(APPID, user);
    const { encryptedData, iv, rawData, signature, userInfo } = s.userInfo(user);
    const res = await s.call('POST', '/v1/login', {
      body: { code, appid: APPID, encryptedData, iv, rawData, signature },
    });
    return { res, userInfo };
  }

  it('legacy data fills an empty profile, and never replaces the nickname or avatar the user set', async () => {
    const { res: first, userInfo: legacy } = await loginWithUserInfo('pat');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.user.nickname, legacy.nickName);
    const token = first.body.accessToken as string;

    const typed = await s.call('PATCH', '/v1/me', { token, body: { nickname: 'Typed by Pat' } });
    assert.equal(typed.status, 200, typed.text);
    const upload = await fetch(`${s.url}/v1/me/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
      body: IMAGES.png,
    });
    assert.equal(upload.status, 200);
    const picked = ((await upload.json()) as { user: { avatarUrl: string } }).user.avatarUrl;

    // The tutorial's flow: wx.login + getUserInfo on each start, the legacy data with the login...
    const { res: again } = await loginWithUserInfo('pat');
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.user.nickname, 'Typed by Pat');
    assert.equal(again.body.user.avatarUrl, picked);
    // ...or posted on its own.
    const posted = await s.call('POST', '/v1/me/userinfo', { token: again.body.accessToken, body: s.userInfo('pat') });
    assert.equal(posted.status, 200, posted.text);
    assert.equal(posted.body.user.nickname, 'Typed by Pat');
    assert.equal(posted.body.user.avatarUrl, picked);
    // The rest of the legacy profile (gender, region) is still taken.
    assert.ok([1, 2].includes(posted.body.user.gender));
  });
});
