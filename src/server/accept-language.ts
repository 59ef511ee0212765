import type { IncomingHttpHeaders } from 'node:http';
import Negotiator from 'negotiator';
import { LANGUAGES, type Language } from '../i18n/index.ts';

/**
 * The language of our error messages for a request, from its Accept-Language (RFC 9110 §12.5.4):
 * q-values honoured, `zh-CN`, `zh-Hans`, `zh-TW`… all match `zh`, and anything we do not speak (or
 * no header) is English. Parsed by `negotiator` (Express's), not by hand.
 */
export function preferredLanguage(headers: IncomingHttpHeaders): Language {
  const header = headers['accept-language'];
  if (typeof header !== 'string' || header === '') return 'en';
  const chosen = new Negotiator({ headers: { 'accept-language': header } }).language([...LANGUAGES]);
  return chosen === 'zh' ? 'zh' : 'en';
}
