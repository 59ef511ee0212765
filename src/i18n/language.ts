/**
 * The languages weapp-auth speaks to people: English, and Chinese for the mini program teams who
 * read it first. Simplified Chinese serves every `zh` variant (zh-CN, zh-TW, zh-HK…): one
 * translation kept right beats two kept half right.
 */
export type Language = 'en' | 'zh';

export const LANGUAGES: readonly Language[] = ['en', 'zh'];

/** A text in each language. */
export interface Localized {
  readonly en: string;
  readonly zh: string;
}

/** The BCP 47 tag of what we send in each language (Content-Language, `lang` attributes). */
export const LANGUAGE_TAGS: Readonly<Record<Language, string>> = { en: 'en', zh: 'zh-Hans' };
