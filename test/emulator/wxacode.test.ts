import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import qrcode from 'qrcode-generator';
import { WeChatApiError, WeChatClient } from '../../src/wechat/client/index.ts';
import { control, harness, LONE, MINUTE, SISTER } from './helpers.ts';

/** The gray pixels of an 8-bit grayscale PNG without interlace whose rows all use filter 0 (as the emulator writes). */
function pixels(png: Buffer): { size: number; at: (x: number, y: number) => number } {
  const size = png.readUInt32BE(16);
  assert.equal(png[24], 8, 'bit depth 8');
  assert.equal(png[25], 0, 'grayscale');
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, size * (size + 1));
  return { size, at: (x, y) => raw[y * (size + 1) + 1 + x] as number };
}

describe('POST /wxa/getwxacodeunlimit', () => {
  it('draws a PNG QR code of the app, page and scene, that the phone side scans back to what onLoad receives', async (t) => {
    const { emu } = await harness(t);
    const client = new WeChatClient({ baseUrl: emu.url });
    t.after(() => client.close());
    const { accessToken } = await client.getAccessToken(LONE);
    const scene = "a1!#$&'()*+,/:;=?@-._~Z";
    const image = await client.getUnlimitedQRCode({
      accessToken,
      appid: LONE.appid,
      scene,
      page: 'pages/qr-login/confirm',
      envVersion: 'develop',
      width: 430,
    });
    assert.equal(image.contentType, 'image/png');
    const { size, at } = pixels(image.bytes);
    assert.ok(size >= 280 && size <= 430, `width ${size}`);
    // Module by module, the picture is the QR code of the code's contents, with a 4-module quiet zone.
    const qr = qrcode(0, 'M');
    qr.addData(
      `wxacode://${LONE.appid}/pages/qr-login/confirm?scene=${encodeURIComponent(scene)}&env_version=develop`,
      'Byte',
    );
    qr.make();
    const modules = qr.getModuleCount();
    const scale = size / (modules + 8);
    assert.ok(Number.isInteger(scale));
    for (let row = -4; row < modules + 4; row++) {
      for (let col = -4; col < modules + 4; col++) {
        const dark = row >= 0 && col >= 0 && row < modules && col < modules && qr.isDark(row, col);
        const x = (col + 4) * scale + Math.floor(scale / 2);
        const y = (row + 4) * scale + Math.floor(scale / 2);
        assert.equal(at(x, y), dark ? 0 : 255, `module ${row},${col}`);
      }
    }
    const scanned = await control(emu.url, 'POST', '/wxacode/scan', {
      image: `data:image/png;base64,${image.bytes.toString('base64')}`,
    });
    assert.equal(scanned.status, 200);
    assert.deepEqual(scanned.body, {
      appid: LONE.appid,
      page: 'pages/qr-login/confirm',
      envVersion: 'develop',
      launchScene: 1047,
      query: { scene: encodeURIComponent(scene) },
      scene,
    });
    assert.equal(emu.control.wxacode.scan({ appid: LONE.appid, scene }).page, 'pages/qr-login/confirm');
    const notOurs = await control(emu.url, 'POST', '/wxacode/scan', { image: Buffer.from('nope').toString('base64') });
    assert.equal(notOurs.status, 400);
  });

  it("answers WeChat's errors as JSON: scene length and characters, page form and publication, width, token", async (t) => {
    const { emu, wx } = await harness(t);
    const token = await wx.accessToken(LONE);
    const draw = (body: unknown) => wx.post('/wxa/getwxacodeunlimit', { access_token: token }, body);
    const cases: [unknown, number][] = [
      [{}, 40169],
      [{ scene: '' }, 40169],
      [{ scene: 'x'.repeat(33) }, 40169],
      [{ scene: 'a%20b' }, 40129],
      [{ scene: '中文' }, 40129],
      [{ scene: 12 }, 47001],
      [{ scene: 'ok', page: '/pages/index/index' }, 41030],
      [{ scene: 'ok', page: 'pages/index/index?x=1' }, 41030],
      [{ scene: 'ok', page: 'pages/a?scancode_time=1' }, 85096],
      [{ scene: 'ok', width: 100 }, 40097],
      [{ scene: 'ok', check_path: 1 }, 47001],
      [{ scene: 'ok', env_version: 'beta' }, 40097],
    ];
    for (const [body, errcode] of cases) {
      const answer = await draw(body);
      assert.equal(answer.body.errcode, errcode, JSON.stringify(body));
      assert.match(answer.contentType ?? '', /^application\/json/);
    }
    assert.equal(
      (await wx.post('/wxa/getwxacodeunlimit', { access_token: 'bad' }, { scene: 'ok' })).body.errcode,
      40014,
    );

    // Published pages: check_path true refuses an unpublished page; false draws it anyway.
    const set = await control(emu.url, 'PUT', `/apps/${LONE.appid}/published-pages`, { pages: ['pages/index/index'] });
    assert.deepEqual(set.body, { appid: LONE.appid, pages: ['pages/index/index'] });
    assert.equal((await draw({ scene: 'ok', page: 'pages/qr-login/confirm' })).body.errcode, 41030);
    const unchecked = await fetch(`${emu.url}/wxa/getwxacodeunlimit?access_token=${token}`, {
      method: 'POST',
      body: JSON.stringify({ scene: 'ok', page: 'pages/qr-login/confirm', check_path: false }),
    });
    assert.equal(unchecked.headers.get('content-type'), 'image/png');
  });

  it('counts 5 000 codes a minute per app, answering 45009 (with its "daily" errmsg) past them', async (t) => {
    const { emu, wx, clock } = await harness(t, { limits: { wxaCodePerMinute: 2 } });
    const token = await wx.accessToken(SISTER);
    const draw = () =>
      fetch(`${emu.url}/wxa/getwxacodeunlimit?access_token=${token}`, { method: 'POST', body: '{"scene":"q"}' });
    assert.equal((await draw()).headers.get('content-type'), 'image/png');
    assert.equal((await draw()).headers.get('content-type'), 'image/png');
    const refused = await draw();
    assert.deepEqual((await refused.json()).errcode, 45009);
    const client = new WeChatClient({ baseUrl: emu.url, retry: { attempts: 1 } });
    t.after(() => client.close());
    await assert.rejects(client.getUnlimitedQRCode({ accessToken: token, scene: 'q' }), (err: unknown) => {
      assert.ok(err instanceof WeChatApiError);
      assert.equal(err.errcode, 45009);
      assert.equal(err.category, 'rate_limited');
      return true;
    });
    clock.advance(MINUTE);
    assert.equal((await draw()).headers.get('content-type'), 'image/png');
  });
});
