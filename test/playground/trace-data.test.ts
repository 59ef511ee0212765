import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallEvent } from '../../src/emulator/index.ts';
import { CallFeed } from '../../src/playground/call-feed.ts';
import { mask, maskPhone, maskValue } from '../../src/playground/client/mask.ts';

describe('the trace masks secrets', () => {
  const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1XzEifQ.c2lnbmF0dXJl';

  it('by field name, whatever the nesting and case', () => {
    const masked = mask({
      code: '0716AVll20uHk94SLDml27etM946AVlq',
      data: { refreshToken: 'r'.repeat(43), encryptedData: 'CiyLU1Aw2Kjv', iv: 'r7BXXKkLb8qrSNn05n0qiA==' },
      header: { Authorization: `Bearer ${jwt}` },
      list: [{ session_key: 'tiihtNczf5v6AKRyjwEUhQ==' }],
      nickname: 'Band',
    });
    assert.deepEqual(masked, {
      code: '0716AV…(32)',
      data: { refreshToken: 'rrrrrr…(43)', encryptedData: 'CiyLU1…(12)', iv: 'r7BXXK…(24)' },
      header: { Authorization: `Bearer eyJhbG…(${jwt.length})` },
      list: [{ session_key: 'tiihtN…(24)' }],
      nickname: 'Band',
    });
  });

  it('anything shaped like a JWT, under any name', () => {
    assert.deepEqual(mask({ whatever: jwt, n: 1, ok: true, none: null }), {
      whatever: `eyJhbG…(${jwt.length})`,
      n: 1,
      ok: true,
      none: null,
    });
  });

  it('phone numbers by field name, keeping the last four digits', () => {
    assert.deepEqual(
      mask({
        user: { phoneNumber: '13800138000', phoneCountryCode: '86' },
        phone_info: { purePhoneNumber: '5551234' },
      }),
      { user: { phoneNumber: '*******8000', phoneCountryCode: '86' }, phone_info: { purePhoneNumber: '***1234' } },
    );
    assert.equal(maskPhone('+12025550143'), '+*******0143');
    assert.equal(maskPhone('0143'), '0143');
    assert.deepEqual(mask({ phoneNumber: null }), { phoneNumber: null });
  });

  it('short secrets give nothing away', () => {
    assert.equal(maskValue('abc'), '…');
    assert.deepEqual(mask({ code: 'abc' }), { code: '…' });
  });
});

describe('the feed of WeChat-side calls', () => {
  const event = (api: CallEvent['api']): CallEvent => ({
    api,
    appid: 'wx4f4bc4dec97d474b',
    outcome: 'answered',
    errcode: 0,
    faulted: false,
    at: 0,
    durationMs: 1,
  });

  it('numbers the calls so the page asks only for those it has not shown', () => {
    const feed = new CallFeed();
    assert.deepEqual(feed.after(0), { calls: [], last: 0 });
    feed.push(event('jscode2session'));
    feed.push(event('stable_token'));
    const first = feed.after(0);
    assert.deepEqual(
      first.calls.map((c) => [c.seq, c.api]),
      [
        [1, 'jscode2session'],
        [2, 'stable_token'],
      ],
    );
    feed.push(event('getuserphonenumber'));
    assert.deepEqual(
      feed.after(first.last).calls.map((c) => c.api),
      ['getuserphonenumber'],
    );
  });

  it('keeps the latest 500', () => {
    const feed = new CallFeed();
    for (let i = 0; i < 520; i++) feed.push(event('token'));
    const { calls, last } = feed.after(0);
    assert.equal(calls.length, 500);
    assert.equal(calls[0]?.seq, 21);
    assert.equal(last, 520);
  });
});
