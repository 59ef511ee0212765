/**
 * Replaces every occurrence of the given sensitive values (secret, code, token, session_key,
 * signature) with "[redacted]". Applied to any text that came from the other side of the wire
 * before it lands in an error or a log: a proxy or WeChat itself may echo the request back.
 */
export function redact(text: string, sensitive: readonly string[]): string {
  let out = text;
  for (const value of sensitive) {
    // Short values would blank out innocent text; nothing we send that is secret is this short.
    if (value.length >= 6) out = out.replaceAll(value, '[redacted]');
  }
  return out;
}
