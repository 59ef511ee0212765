import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_APP } from '../../src/cli/dev-defaults.ts';
import { type DevProcess, startDevProcess } from '../helpers/dev-process.ts';

/** Issue 14: `dev` checks nicknames with the emulator's msg_sec_check, so the risky-word demo is refused. */
describe('weapp-auth dev checks content against the emulator', () => {
  let dev: DevProcess;
  let server = '';
  let emulator = '';

  before(async () => {
    dev = await startDevProcess();
    ({ server = '', emulator = '' } = dev.urls);
  });

  after(() => dev.stop());

  const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('refuses a risky nickname with CONTENT_RISKY and stores a fine one', async () => {
    const { body: login } = await post(`${emulator}/__emulator/login`, { appid: DEMO_APP.appid, user: 'risky-dev' });
    const { body: session } = await post(`${server}/v1/login`, { appid: DEMO_APP.appid, code: login.code });
    const auth = { authorization: `Bearer ${String(session.accessToken)}`, 'accept-language': 'zh-CN' };
    const risky = await post(`${server}/v1/me`, { nickname: 'a risky-word here' }, auth);
    assert.equal(risky.status, 422, JSON.stringify(risky.body));
    assert.equal(risky.body.code, 'CONTENT_RISKY');
    assert.match(String(risky.body.message), /微信内容安全检测未通过这个昵称/);
    const fine = await post(`${server}/v1/me`, { nickname: 'Sam' }, auth);
    assert.equal(fine.status, 200, JSON.stringify(fine.body));
  });
});
