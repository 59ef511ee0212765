import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mediaVerdict } from '../../src/server/push/media-check-events.ts';
import { parsePushMessage } from '../../src/server/push/push-message.ts';
import { pushVectors } from '../helpers/vectors.ts';

const header = {
  ToUserName: 'gh_9df7d78a1234',
  FromUserName: 'o4_t144jTUSEoxydysUA2E234_tc',
  CreateTime: 1626959646,
  MsgType: 'event',
  Event: 'wxa_media_check',
  appid: 'wx8f16a5be77871234',
  trace_id: '60f96f1d-3845297a-1976a3ae',
};

/** wxa_media_check as WeChat words it (wechat-api.md §7.3): both versions, and its typing hazards. */
describe('the verdict of a wxa_media_check push', () => {
  it('v2: result.suggest and its label, a number or a string', () => {
    const v2 = { ...header, version: 2, errcode: 0, errmsg: 'ok' };
    assert.deepEqual(mediaVerdict({ ...v2, result: { suggest: 'pass', label: 100 } }), { verdict: 'pass', label: 100 });
    assert.deepEqual(mediaVerdict({ ...v2, result: { suggest: 'risky', label: '20002' } }), {
      verdict: 'risky',
      label: 20002,
    });
    assert.deepEqual(mediaVerdict({ ...v2, result: { suggest: 'review', label: 21000 } }), {
      verdict: 'review',
      label: 21000,
    });
  });

  it('the XML vector reads as risky 20002', () => {
    const xml = pushVectors.derived.find((v: { name: string }) => v.name === 'safe-mode-xml-wxa-media-check');
    assert.deepEqual(mediaVerdict(parsePushMessage(xml.plaintext)), { verdict: 'risky', label: 20002 });
  });

  it('WeChat could not check: errcode -1008 (v2) or status_code 4294966288 (v1)', () => {
    assert.deepEqual(mediaVerdict({ ...header, version: 2, errcode: -1008, errmsg: 'download media failed' }), {
      verdict: 'error',
      label: null,
      errcode: '-1008',
    });
    assert.deepEqual(mediaVerdict({ ...header, isrisky: 0, extra_info_json: '', status_code: 4294966288 }), {
      verdict: 'error',
      label: null,
      errcode: '-1008',
    });
  });

  it('v1: isrisky 1 or 0', () => {
    assert.equal(mediaVerdict({ ...header, isrisky: 1, extra_info_json: '', status_code: 0 }).verdict, 'risky');
    assert.equal(mediaVerdict({ ...header, isrisky: 0, extra_info_json: '', status_code: 0 }).verdict, 'pass');
  });

  it('a verdict it cannot read is not a pass', () => {
    assert.equal(
      mediaVerdict({ ...header, version: 2, errcode: 0, result: { suggest: 'maybe', label: 1 } }).verdict,
      'review',
    );
    assert.equal(mediaVerdict({ ...header, version: 2 }).verdict, 'review');
  });
});
