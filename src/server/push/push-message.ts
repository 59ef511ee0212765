/**
 * The body of a push as WeChat writes it, JSON or XML (wechat-api.md §16.7: decide by the first
 * byte, never by Content-Type). WeChat's XML is flat — `<xml><Tag><![CDATA[text]]></Tag>…</xml>`,
 * numbers without CDATA, one level of nesting in media-check results — so a few patterns read it
 * exactly; anything else (attributes, mixed content, entities we do not know) is refused whole
 * rather than read partly.
 */

export type PushValue = string | number | { [key: string]: PushValue };
export type PushMessage = { [key: string]: PushValue };

export class PushMessageError extends Error {
  override readonly name = 'PushMessageError';
}

/** The message, or PushMessageError when the body is neither WeChat's JSON nor its XML. */
export function parsePushMessage(body: string): PushMessage {
  const text = body.trim();
  if (text.startsWith('{')) return parseJson(text);
  if (text.startsWith('<')) return parseXml(text);
  throw new PushMessageError('The push body is neither JSON nor XML.');
}

function parseJson(text: string): PushMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PushMessageError('The push body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PushMessageError('The push body is not a JSON object.');
  }
  return value as PushMessage;
}

const ROOT = /^<xml>([\s\S]*)<\/xml>$/;
const OPEN = /^\s*<([A-Za-z_][\w.-]*)>/;
const CDATA = /^<!\[CDATA\[([\s\S]*?)\]\]>$/;
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };

function parseXml(text: string): PushMessage {
  const root = ROOT.exec(text.replace(/^<\?xml[^>]*\?>\s*/, ''));
  if (!root) throw new PushMessageError('The push body is not an <xml> document.');
  return elements(root[1] ?? '', 0);
}

function elements(content: string, depth: number): PushMessage {
  const out: PushMessage = {};
  let rest = content;
  while (rest.trim() !== '') {
    const open = OPEN.exec(rest);
    const name = open?.[1] ?? '';
    const end = open ? closingTag(rest, open[0].length, name) : -1;
    if (!open || end < 0) throw new PushMessageError('The push XML is not flat elements WeChat writes.');
    out[name] = value(rest.slice(open[0].length, end), depth);
    rest = rest.slice(end + name.length + 3);
  }
  return out;
}

/**
 * Where the element opened before `from` closes: the `</name>` that balances it, passing over
 * CDATA sections and over elements of the same name inside it (`<H><H>0</H></H>`), which the first
 * `</name>` would cut in two. -1 when it never closes.
 */
function closingTag(text: string, from: number, name: string): number {
  const tags = new RegExp(`<!\\[CDATA\\[[\\s\\S]*?\\]\\]>|<(/?)${name.replace(/[.]/g, '\\.')}>`, 'g');
  tags.lastIndex = from;
  let open = 1;
  for (let tag = tags.exec(text); tag; tag = tags.exec(text)) {
    if (tag[0].startsWith('<![CDATA[')) continue;
    open += tag[1] ? -1 : 1;
    if (open === 0) return tag.index;
  }
  return -1;
}

function value(inner: string, depth: number): PushValue {
  const cdata = CDATA.exec(inner.trim());
  if (cdata) return cdata[1] ?? '';
  if (/^\s*</.test(inner)) {
    if (depth >= 2) throw new PushMessageError('The push XML nests deeper than WeChat writes.');
    return elements(inner, depth + 1);
  }
  if (/[<]/.test(inner) || /&(?!(lt|gt|amp|quot|apos);)/.test(inner)) {
    throw new PushMessageError('The push XML holds markup or an entity WeChat does not write.');
  }
  const decoded = inner.replace(/&(lt|gt|amp|quot|apos);/g, (e) => ENTITIES[e] ?? e);
  return /^-?\d{1,15}$/.test(decoded.trim()) ? Number(decoded.trim()) : decoded;
}

/** A field as text whatever its type on the wire (RevokeInfo is "1" in JSON and 1 in some XML). */
export function field(message: PushMessage, name: string): string | undefined {
  const v = message[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
