import type { JsonObject } from './http.ts';

/** Results, normalized to camelCase. */

/** A mini-program code as WeChat drew it: JPEG normally, PNG when transparent (wechat-api.md §19.1). */
export interface WxaCodeImage {
  contentType: 'image/jpeg' | 'image/png';
  bytes: Buffer;
}

export interface Code2SessionResult {
  openid: string;
  /** base64 of 16 bytes. Keep it on the server: it decrypts the user's data. */
  sessionKey: string;
  /** Only when the mini program is bound to an Open Platform account. */
  unionid?: string;
}

export interface AccessTokenResult {
  accessToken: string;
  /** Seconds the token stays valid, counted from when WeChat answered. */
  expiresIn: number;
}

export interface PhoneNumberResult {
  /** As the user bound it; foreign numbers carry their country prefix. */
  phoneNumber: string;
  /** Without the country code. */
  purePhoneNumber: string;
  /** A string such as "86" (the docs' example shows a number; real answers are strings). */
  countryCode: string;
  /** When the user authorized (seconds) and for which mini program. */
  watermark: { appid: string; timestamp: number };
}

export interface ResetSessionKeyResult {
  openid: string;
  /** The new session_key; the old one stopped working, and the new one keeps the old expiry. */
  sessionKey: string;
}

export type MsgSecSuggest = 'pass' | 'review' | 'risky';

export interface MsgSecCheckDetail {
  strategy: string;
  /** The item is meaningful only when this is 0. */
  errcode: number;
  suggest?: MsgSecSuggest;
  label?: number;
  /** Confidence, 0–100. */
  prob?: number;
  /** Only when a custom keyword matched. */
  keyword?: string;
}

export interface MsgSecCheckResult {
  /** Reject on `risky`, hold for review on `review`. */
  suggest: MsgSecSuggest;
  /** 100 normal, 10001 ads, 20001 politics, 20002 porn, 20003 abuse, 20006 crime, 20008 fraud, 20012 vulgar, 20013 copyright, 21000 other. */
  label: number;
  traceId: string;
  detail: MsgSecCheckDetail[];
}

export interface UserRiskRankResult {
  /** 0–4, higher is riskier. WeChat maps no action to it; the caller's policy decides. */
  riskRank: number;
  /** WeChat's `unoin_id`: an id of this request (above 2³¹), not a unionid. */
  unoinId: number;
}

/** A success body without the fields the API documents. Names the field, never its value. */
export class UnexpectedBodyError extends Error {
  constructor(readonly field: string) {
    super(`the success body lacks a valid "${field}"`);
  }
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function str(body: JsonObject, field: string, path = field): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new UnexpectedBodyError(path);
  return value;
}

function optionalStr(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Numbers sometimes arrive as numeric strings (observed for labels in pushed check results). */
function num(value: unknown, path: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new UnexpectedBodyError(path);
  return n;
}

function obj(body: JsonObject, field: string, path = field): JsonObject {
  const value = body[field];
  if (!isObject(value)) throw new UnexpectedBodyError(path);
  return value;
}

export function parseCode2Session(body: JsonObject): Code2SessionResult {
  const result: Code2SessionResult = { openid: str(body, 'openid'), sessionKey: str(body, 'session_key') };
  const unionid = optionalStr(body, 'unionid');
  if (unionid !== undefined) result.unionid = unionid;
  return result;
}

export function parseAccessToken(body: JsonObject): AccessTokenResult {
  const accessToken = str(body, 'access_token');
  const expiresIn = num(body.expires_in, 'expires_in');
  if (expiresIn <= 0) throw new UnexpectedBodyError('expires_in');
  return { accessToken, expiresIn };
}

export function parsePhoneNumber(body: JsonObject): PhoneNumberResult {
  const info = obj(body, 'phone_info');
  const watermark = obj(info, 'watermark', 'phone_info.watermark');
  const countryCode = info.countryCode;
  if (typeof countryCode !== 'string' && typeof countryCode !== 'number') {
    throw new UnexpectedBodyError('phone_info.countryCode');
  }
  return {
    phoneNumber: str(info, 'phoneNumber', 'phone_info.phoneNumber'),
    purePhoneNumber: str(info, 'purePhoneNumber', 'phone_info.purePhoneNumber'),
    countryCode: String(countryCode),
    watermark: {
      appid: str(watermark, 'appid', 'phone_info.watermark.appid'),
      timestamp: num(watermark.timestamp, 'phone_info.watermark.timestamp'),
    },
  };
}

export function parseResetSessionKey(body: JsonObject): ResetSessionKeyResult {
  return { openid: str(body, 'openid'), sessionKey: str(body, 'session_key') };
}

function suggestOf(value: unknown, path: string): MsgSecSuggest {
  if (value === 'pass' || value === 'review' || value === 'risky') return value;
  throw new UnexpectedBodyError(path);
}

function parseDetail(item: unknown, i: number): MsgSecCheckDetail {
  const path = `detail[${i}]`;
  if (!isObject(item)) throw new UnexpectedBodyError(path);
  const out: MsgSecCheckDetail = {
    strategy: str(item, 'strategy', `${path}.strategy`),
    errcode: num(item.errcode, `${path}.errcode`),
  };
  if (item.suggest !== undefined) out.suggest = suggestOf(item.suggest, `${path}.suggest`);
  if (item.label !== undefined) out.label = num(item.label, `${path}.label`);
  if (item.prob !== undefined) out.prob = num(item.prob, `${path}.prob`);
  const keyword = optionalStr(item, 'keyword');
  if (keyword !== undefined) out.keyword = keyword;
  return out;
}

export function parseMsgSecCheck(body: JsonObject): MsgSecCheckResult {
  const result = obj(body, 'result');
  const detail = body.detail ?? [];
  if (!Array.isArray(detail)) throw new UnexpectedBodyError('detail');
  return {
    suggest: suggestOf(result.suggest, 'result.suggest'),
    label: num(result.label, 'result.label'),
    traceId: str(body, 'trace_id'),
    detail: detail.map(parseDetail),
  };
}

export function parseUserRiskRank(body: JsonObject): UserRiskRankResult {
  const riskRank = num(body.risk_rank, 'risk_rank');
  if (!Number.isInteger(riskRank) || riskRank < 0 || riskRank > 4) throw new UnexpectedBodyError('risk_rank');
  return { riskRank, unoinId: num(body.unoin_id, 'unoin_id') };
}
