import type { Localized } from '../../i18n/index.ts';
import { ApiError } from '../errors.ts';
import { isAnonymousNickname } from '../login/open-data.ts';

/** In user-perceived characters: an emoji made of several code points counts once. */
export const NICKNAME_MAX_LENGTH = 32;

/**
 * Control characters, line and paragraph separators, and invisible format characters (bidi
 * overrides that flip how a name renders, zero-width spaces that make two names look equal).
 * Kept: U+200D, which joins emoji sequences, and the tag characters of subdivision flags.
 */
const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}]|(?![\u200D\u{E0020}-\u{E007F}])\p{Cf}/u;

const graphemes = new Intl.Segmenter('zh', { granularity: 'grapheme' });

/**
 * The nickname as we store it: NFC, trimmed, 1 to NICKNAME_MAX_LENGTH characters, no control or
 * invisible characters, and not WeChat's placeholder "微信用户", which means "not provided".
 */
export function normalizeNickname(input: string): string {
  const nickname = input.normalize('NFC').trim();
  if (nickname === '') throw invalid({ en: 'The nickname is empty.', zh: '昵称为空。' });
  if (FORBIDDEN.test(nickname))
    throw invalid({
      en: 'The nickname holds control or invisible characters.',
      zh: '昵称含有控制字符或不可见字符。',
    });
  let length = 0;
  for (const _ of graphemes.segment(nickname)) length++;
  if (length > NICKNAME_MAX_LENGTH)
    throw invalid({
      en: `The nickname is longer than ${NICKNAME_MAX_LENGTH} characters.`,
      zh: `昵称超过了 ${NICKNAME_MAX_LENGTH} 个字符。`,
    });
  if (isAnonymousNickname(nickname)) {
    throw invalid({
      en: '"微信用户" is WeChat\'s placeholder for a user who gave no nickname; ask the user for theirs.',
      zh: '“微信用户”是微信给未提供昵称的用户的占位昵称，不是真实昵称；请让用户填写自己的昵称。',
    });
  }
  return nickname;
}

function invalid(message: Localized): ApiError {
  return new ApiError('INVALID_NICKNAME', message, { maxLength: NICKNAME_MAX_LENGTH });
}
