import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileTypeFromBuffer } from 'file-type';
import { type RunningEmulator, startEmulator } from '../../src/emulator/start.ts';

const APPID = 'wx4f4bc4dec97d474b';
const SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** Issue 14: generated avatars can be served by the emulator itself, so the playground stays offline. */
describe('emulator avatars', () => {
  let own: RunningEmulator;
  let wechat: RunningEmulator;
  before(async () => {
    own = await startEmulator({ apps: [{ appid: APPID, secret: SECRET }], avatarHost: 'emulator', logger: false });
    wechat = await startEmulator({ apps: [{ appid: APPID, secret: SECRET }], logger: false });
  });
  after(async () => {
    await own.close();
    await wechat.close();
  });

  const avatarOf = (emulator: RunningEmulator, user: string) => {
    emulator.control.login(APPID, user);
    const info = emulator.control.getUserInfo(APPID, user, { anonymous: false });
    assert.ok('userInfo' in info, JSON.stringify(info));
    return info.userInfo.avatarUrl;
  };

  it('points generated avatars at itself with avatarHost: emulator, and serves a PNG there', async () => {
    const url = avatarOf(own, 'ava');
    assert.ok(url.startsWith(`${own.url}/mmopen/vi_32/`), url);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal((await fileTypeFromBuffer(bytes))?.mime, 'image/png');
    const again = new Uint8Array(await (await fetch(url)).arrayBuffer());
    assert.deepEqual(again, bytes, 'the same user keeps the same picture');
    const other = new Uint8Array(await (await fetch(avatarOf(own, 'bob'))).arrayBuffer());
    assert.notDeepEqual(other, bytes);
  });

  it("keeps WeChat's avatar host by default, and serves its paths all the same", async () => {
    const url = avatarOf(wechat, 'ava');
    assert.match(url, /^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/vi_32\/[^/]+\/132$/);
    const res = await fetch(`${wechat.url}${new URL(url).pathname}`);
    assert.equal(res.status, 200);
    assert.equal((await fileTypeFromBuffer(new Uint8Array(await res.arrayBuffer())))?.mime, 'image/png');
  });
});
