import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_APP } from '../../src/cli/dev-defaults.ts';
import { type DevProcess, startDevProcess } from '../helpers/dev-process.ts';

/** `npm start` wires WeChat's message push: the emulator pushes to the server's /wechat/push/{appid}. */
describe('weapp-auth dev: the emulator pushes to the server', () => {
  let dev: DevProcess;
  let server = '';
  let emulator = '';

  before(async () => {
    // No WEAPP_PUSH of the developer's own: dev makes one for the run.
    dev = await startDevProcess(['server', 'emulator'], { env: { PORT: '0', WEAPP_PUSH: undefined } });
    ({ server = '', emulator = '' } = dev.urls);
  });
  after(() => dev.stop());

  const json = async (url: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
        ...(init.token && { authorization: `Bearer ${init.token}` }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
    return { status: res.status, body: (await res.json()) as any };
  };

  it('has the demo app push in safe mode, checked against the server at start', async () => {
    assert.doesNotMatch(dev.output(), /message push/, 'no note: the URL check passed');
    const { body } = await json(`${emulator}/__emulator/push`);
    assert.deepEqual(
      body.map((p: { appid: string; url: string; mode: string }) => [p.appid, p.url, p.mode]),
      [[DEMO_APP.appid, `${server}/wechat/push/${DEMO_APP.appid}`, 'safe']],
    );
  });

  it('revoking the phone number in WeChat removes it from the server', async () => {
    const { body: login } = await json(`${emulator}/__emulator/login`, {
      method: 'POST',
      body: { appid: DEMO_APP.appid, user: 'dev-push-amy' },
    });
    const session = await json(`${server}/v1/login`, { method: 'POST', body: { code: login.code } });
    assert.equal(session.status, 200);
    const token = session.body.accessToken as string;
    const { body: phone } = await json(`${emulator}/__emulator/getPhoneNumber`, {
      method: 'POST',
      body: { appid: DEMO_APP.appid, user: 'dev-push-amy' },
    });
    assert.equal(
      (await json(`${server}/v1/me/phone`, { method: 'POST', token, body: { code: phone.code } })).status,
      200,
    );

    const started = await json(`${emulator}/__emulator/user-actions`, {
      method: 'POST',
      body: { appid: DEMO_APP.appid, user: 'dev-push-amy', action: 'phone' },
    });
    assert.equal(started.status, 202);
    const done = await json(`${emulator}/__emulator/pushes/${started.body.deliveries[0].id}?wait=true`);
    assert.equal(done.body.status, 'delivered', JSON.stringify(done.body.attempts));
    const me = await json(`${server}/v1/me`, { token });
    assert.equal(me.body.user.phoneNumber, null);
  });
});
