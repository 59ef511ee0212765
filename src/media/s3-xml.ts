/**
 * The two S3 answers we read, parsed with a few regular expressions rather than an XML library:
 * S3 answers ListObjectsV2 in XML only, and we need four fields of it. What makes this safe is the
 * shape of those answers (flat elements, no mixed content) and that anything unexpected makes the
 * whole page unreadable rather than shorter: a cut-off listing is never taken for a complete one.
 */

export interface ListedObject {
  key: string;
  /** Last-Modified, ms since the epoch. */
  lastModified: number;
}

export interface ListPage {
  objects: ListedObject[];
  isTruncated: boolean;
  /** Present when isTruncated: where the next page starts. */
  nextContinuationToken: string | undefined;
}

/** A ListObjectsV2 answer's page, or undefined when `xml` is not a complete, well-formed one. */
export function parseListObjectsV2(xml: string): ListPage | undefined {
  const root = only(stripComments(xml), 'ListBucketResult');
  if (root === undefined) return undefined;
  const objects: ListedObject[] = [];
  const contentsList = [...children(root, 'Contents')];
  // An element opened and never closed would otherwise just go missing from the page.
  if ((root.match(/<Contents[\s/>]/g)?.length ?? 0) !== contentsList.length) return undefined;
  for (const contents of contentsList) {
    const key = first(contents, 'Key');
    const modified = first(contents, 'LastModified');
    const lastModified = modified === undefined ? Number.NaN : Date.parse(text(modified).trim());
    if (key === undefined || Number.isNaN(lastModified)) return undefined;
    objects.push({ key: text(key), lastModified });
  }
  const truncated = first(root, 'IsTruncated');
  const flag = truncated === undefined ? 'false' : text(truncated).trim().toLowerCase();
  if (flag !== 'true' && flag !== 'false') return undefined;
  const token = first(root, 'NextContinuationToken');
  const nextContinuationToken = token === undefined ? undefined : text(token);
  // Truncated without a token would end the listing early, or loop on the first page.
  if (flag === 'true' && !nextContinuationToken) return undefined;
  return { objects, isTruncated: flag === 'true', nextContinuationToken };
}

/**
 * The `<Code>` of an S3 error answer (e.g. SignatureDoesNotMatch), when it looks like one. Only the
 * code is taken: the rest of the body may echo the access key and the string that was signed.
 */
export function parseS3ErrorCode(xml: string): string | undefined {
  const error = only(stripComments(xml), 'Error');
  const code = error === undefined ? undefined : first(error, 'Code');
  const value = code === undefined ? undefined : text(code).trim();
  return value !== undefined && /^[A-Za-z0-9.]{1,64}$/.test(value) ? value : undefined;
}

function stripComments(xml: string): string {
  return xml.replace(/<!--[\s\S]*?-->/g, '');
}

/** The content of `<name …>…</name>` (or `<name/>`), element by element; `name` never nests in S3's answers. */
function* children(xml: string, name: string): Generator<string> {
  // Lazy attributes, so `<name />` is seen as empty rather than as an opening swallowing the next element.
  const element = new RegExp(`<${name}(?:\\s[^>]*?)?(?:/>|>([\\s\\S]*?)</${name}\\s*>)`, 'g');
  for (const match of xml.matchAll(element)) yield match[1] ?? '';
}

function first(xml: string, name: string): string | undefined {
  for (const content of children(xml, name)) return content;
  return undefined;
}

/** The root's content, when `xml` is that root element and it is closed. */
function only(xml: string, name: string): string | undefined {
  const match = new RegExp(`^\\s*(?:<\\?xml[^>]*\\?>)?\\s*<${name}(?:\\s[^>]*)?>([\\s\\S]*)</${name}\\s*>\\s*$`).exec(
    xml,
  );
  return match?.[1];
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character data, entities and character references decoded. S3 escapes; it never sends CDATA. */
function text(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (entity, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref] ?? entity;
    const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}
