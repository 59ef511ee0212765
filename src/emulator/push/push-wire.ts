import { randomInt } from 'node:crypto';
import { encryptPushMessage, pushSignature } from '../../wechat/push/message-crypto.ts';
import type { PushFormat, PushSettings } from './push-settings.ts';

/** A push message: flat fields, one level of objects (`result`) and arrays of objects (`detail`). */
export type PushField = string | number | PushObject | PushObject[];
export type PushObject = { [name: string]: PushField };

/** The request WeChat sends for one message; re-sent unchanged on every retry (§16.6). */
export interface PushRequest {
  url: string;
  contentType: string;
  body: string;
}

function cdata(text: string): string {
  // "]]>" cannot sit inside one CDATA section: split it across two.
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function xmlFields(message: PushObject): string {
  return Object.entries(message)
    .map(([name, value]) => {
      // Arrays are repeated siblings without a wrapper (WeChat's media-check `detail`, §7.3).
      if (Array.isArray(value)) return value.map((item) => `<${name}>${xmlFields(item)}</${name}>`).join('');
      if (typeof value === 'object') return `<${name}>${xmlFields(value)}</${name}>`;
      return `<${name}>${typeof value === 'number' ? value : cdata(value)}</${name}>`;
    })
    .join('');
}

/** The message as WeChat writes it: JSON, or flat XML with strings in CDATA and numbers bare. */
export function serializePush(message: PushObject, format: PushFormat): string {
  return format === 'json' ? JSON.stringify(message) : `<xml>${xmlFields(message)}</xml>`;
}

/**
 * Signs (and in safe or compatible mode seals) a message as §16.3-16.4 say: `signature` over
 * token, timestamp and nonce; with a key, `msg_signature` over those and the Encrypt field, the
 * body carrying Encrypt alone (safe) or beside the plaintext fields (compatible).
 */
export function buildPushRequest(settings: PushSettings, message: PushObject, nowMs: number): PushRequest {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = String(randomInt(100_000_000, 2_000_000_000));
  const query = new URLSearchParams({
    signature: pushSignature([settings.token, timestamp, nonce]),
    timestamp,
    nonce,
  });
  let outer: PushObject = message;
  if (settings.mode !== 'plaintext' && settings.encodingAESKey !== undefined) {
    const Encrypt = encryptPushMessage(serializePush(message, settings.format), {
      encodingAesKey: settings.encodingAESKey,
      appid: settings.appid,
    });
    const openid = message.OpenID ?? message.FromUserName;
    if (typeof openid === 'string') query.set('openid', openid);
    query.set('encrypt_type', 'aes');
    query.set('msg_signature', pushSignature([settings.token, timestamp, nonce, Encrypt]));
    const to = typeof message.ToUserName === 'string' ? message.ToUserName : '';
    outer = settings.mode === 'safe' ? { ToUserName: to, Encrypt } : { ...message, Encrypt };
  }
  const separator = settings.url.includes('?') ? '&' : '?';
  return {
    url: `${settings.url}${separator}${query}`,
    contentType: settings.format === 'json' ? 'application/json' : 'text/xml',
    body: serializePush(outer, settings.format),
  };
}

/**
 * The URL check WeChat runs when the settings are saved (§16.2): a GET with echostr, and the
 * body must be exactly echostr.
 */
export async function verifyPushUrl(settings: PushSettings, nowMs: number): Promise<void> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = String(randomInt(100_000_000, 2_000_000_000));
  const echostr = String(randomInt(1, 2 ** 47));
  const query = new URLSearchParams({
    signature: pushSignature([settings.token, timestamp, nonce]),
    timestamp,
    nonce,
    echostr,
  });
  const separator = settings.url.includes('?') ? '&' : '?';
  let status: number;
  let text: string;
  try {
    const res = await fetch(`${settings.url}${separator}${query}`, {
      signal: AbortSignal.timeout(settings.timeoutMs),
      redirect: 'manual',
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    throw new Error(`the URL check could not reach ${settings.url}: ${(err as Error).message}`);
  }
  if (status !== 200 || text !== echostr) {
    throw new Error(
      `the URL check failed: ${settings.url} answered HTTP ${status} without the exact echostr (Token wrong?)`,
    );
  }
}
