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
  if (nickname === '') throw invalid('The nickname is empty.');
  if (FORBIDDEN.test(nickname)) throw invalid('The nickname holds control or invisible characters.');
  let length = 0;
  for (const _ of graphemes.segment(nickname)) length++;
  if (length > NICKNAME_MAX_LENGTH) throw invalid(`The nickname is longer than ${NICKNAME_MAX_LENGTH} characters.`);
  if (isAnonymousNickname(nickname)) {
    throw invalid('"微信用户" is WeChat\'s placeholder for a user who gave no nickname; ask the user for theirs.');
  }
  return nickname;
}

function invalid(message: string): ApiError {
  return new ApiError('INVALID_NICKNAME', message, { maxLength: NICKNAME_MAX_LENGTH });
}
