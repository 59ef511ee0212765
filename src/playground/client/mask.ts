/** Fields whose values are credentials or sealed data: shown by their start and length only. */
const SECRET_KEYS = new Set([
  'accesstoken',
  'refreshtoken',
  'code',
  'encrypteddata',
  'iv',
  'signature',
  'session_key',
  'sessionkey',
  'secret',
  'authorization',
]);

/** Fields holding a phone number: personal data, shown by its last four digits only. */
const PHONE_KEYS = new Set(['phonenumber', 'purephonenumber']);

const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;

/** "eyJhbG…(412)": enough to tell two values apart, useless to replay. */
export function maskValue(value: string): string {
  if (value.startsWith('Bearer ')) return `Bearer ${maskValue(value.slice(7))}`;
  if (value.length <= 6) return '…';
  return `${value.slice(0, 6)}…(${value.length})`;
}

/** "*******5678": every digit but the last four hidden, so the user can still tell which number it is. */
export function maskPhone(value: string): string {
  let keep = 4;
  return [...value]
    .reverse()
    .map((c) => (/\d/.test(c) && keep-- <= 0 ? '*' : c))
    .reverse()
    .join('');
}

/** A copy of `value` fit for the trace: secrets and phone numbers masked by field name, and anything shaped like a JWT. */
export function mask(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    const name = key.toLowerCase();
    if (PHONE_KEYS.has(name)) return maskPhone(value);
    if (SECRET_KEYS.has(name) || JWT.test(value)) return maskValue(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => mask(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
  }
  return value;
}
