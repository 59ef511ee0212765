export { LANGUAGE_TAGS, LANGUAGES, type Language, type Localized } from './language.ts';
