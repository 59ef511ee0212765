import { WxError } from '../errcodes.ts';
import type { EnvVersion } from '../wxacode/code-book.ts';
import { qrPng } from '../wxacode/png.ts';
import { appOfToken, requireAccessToken, takeQuota } from './guards.ts';
import { type WechatEndpoint, WxImage } from './route.ts';

/** wechat-api.md §19.1: up to 32 visible characters of this set ("%" excluded, so no percent-encoding). */
const SCENE_CHARS = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]*$/;
const ENV_VERSIONS: readonly unknown[] = ['release', 'trial', 'develop'];
const BOOLEAN_FIELDS = ['check_path', 'auto_color', 'is_hyaline'] as const;

/**
 * POST /wxa/getwxacodeunlimit?access_token=… (wechat-api.md §19.1): a code that opens `page` with
 * `scene`. WeChat answers a JPEG "sun code"; the emulator a PNG QR code of the same contents (its
 * `Content-Type` says image/png, and a client must accept both). Errors are JSON, as WeChat sends
 * them. The order of the checks is ours [UNV]: token, body (40169 empty, 47001 types), scene
 * (40169 length, 40129 characters), page (85096, 41030), width (40097), then the 5 000-a-minute
 * quota (45009, with WeChat's "daily" errmsg).
 */
export const getWxaCodeUnlimit: WechatEndpoint = {
  api: 'getwxacodeunlimit',
  url: '/wxa/getwxacodeunlimit',
  methods: ['POST'],
  appOf: appOfToken,
  errorContentType: 'application/json; charset=utf-8',
  handle(call) {
    const { appid } = requireAccessToken(call);
    const body = call.jsonBody(40169);
    const { scene, page = '', env_version: envVersion = 'release', width = 430 } = body;
    if (scene !== undefined && typeof scene !== 'string') throw new WxError(47001);
    if (typeof page !== 'string') throw new WxError(47001);
    for (const name of BOOLEAN_FIELDS)
      if (body[name] !== undefined && typeof body[name] !== 'boolean') throw new WxError(47001);
    if (typeof width !== 'number') throw new WxError(47001);
    if (!ENV_VERSIONS.includes(envVersion)) throw new WxError(40097);
    if (scene === undefined || scene.length === 0 || scene.length > 32) throw new WxError(40169);
    if (!SCENE_CHARS.test(scene)) throw new WxError(40129);
    if (page.includes('scancode_time')) throw new WxError(85096);
    if (page.startsWith('/') || page.includes('?')) throw new WxError(41030);
    const book = call.state.wxaCodes;
    if (body.check_path !== false && !book.isPublished(appid, page)) throw new WxError(41030);
    if (!Number.isInteger(width) || width < 280 || width > 1280) throw new WxError(40097);
    takeQuota(call, `getwxacodeunlimit\0${appid}`, 'minute', call.state.options.limits.wxaCodePerMinute, 45009);
    const code = book.draw({ appid, scene, page, envVersion: envVersion as EnvVersion, drawnAt: call.now() });
    // What the QR code says: enough for any decoder to show which app, page and scene it opens.
    const text = `wxacode://${appid}/${page}?scene=${encodeURIComponent(scene)}&env_version=${code.envVersion}`;
    return new WxImage('image/png', qrPng(text, { width, metadata: code.id }));
  },
};
