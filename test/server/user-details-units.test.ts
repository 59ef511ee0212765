import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/server/errors.ts';
import { maskPhone } from '../../src/server/phone/mask.ts';
import { normalizeNickname } from '../../src/server/profile/nickname.ts';

describe('maskPhone', () => {
  it('keeps the first three and last four digits of a mobile number', () => {
    assert.equal(maskPhone('13800006666'), '138****6666');
    assert.equal(maskPhone('4155550123'), '415***0123');
    assert.equal(maskPhone('12345678'), '123*5678');
  });

  it('keeps only the last two digits of a short number', () => {
    assert.equal(maskPhone('1234567'), '*****67');
    assert.equal(maskPhone('12'), '12');
  });
});

describe('normalizeNickname', () => {
  it('trims and composes (NFC), keeping emoji sequences and flags whole', () => {
    assert.equal(normalizeNickname('\u3000 Lily \t'), 'Lily');
    assert.equal(normalizeNickname('Cafe\u0301'), 'Café');
    assert.equal(normalizeNickname('👩‍💻 dev'), '👩‍💻 dev');
    // England's flag is made of tag characters, which are format characters too.
    assert.equal(normalizeNickname('🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'), '🏴󠁧󠁢󠁥󠁮󠁧󠁿');
  });

  it('refuses hostile and empty input with INVALID_NICKNAME and the reason', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['\u3000', /empty/],
      ['a\rb', /control/],
      ['a\u0085b', /control/],
      ['a\u2028b', /control/],
      ['admin\u200E', /invisible/],
      ['\u2066rtl\u2069', /invisible/],
      ['b\uFEFFom', /invisible/],
      ['a\u00ADb', /invisible/],
      ['微信用户', /placeholder/],
      ['字'.repeat(33), /longer than 32/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => normalizeNickname(input),
        (err: unknown) => err instanceof ApiError && err.code === 'INVALID_NICKNAME' && message.test(err.message),
        JSON.stringify(input),
      );
    }
  });
});
