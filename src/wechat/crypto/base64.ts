const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard, padded base64 strictly: Node's own decoder silently skips junk, which turns a
 * mangled value into a confusing decrypt failure much later. The one repair: a `+` that became a
 * space because someone put the value in a URL or form body without encoding it.
 * Returns undefined when the text is not canonical base64.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  const repaired = text.includes(' ') ? text.replaceAll(' ', '+') : text;
  if (!BASE64.test(repaired)) return undefined;
  const bytes = Buffer.from(repaired, 'base64');
  // Non-zero bits in the final padded group mean the text was not produced by an encoder.
  if (bytes.toString('base64') !== repaired) return undefined;
  return bytes;
}
