import type { PushApp } from '../../config/config.ts';
import { decryptPushMessage, PushCryptoError, verifyPushSignature } from '../../wechat/push/message-crypto.ts';
import { field, type PushMessage, PushMessageError, parsePushMessage } from './push-message.ts';

/** WeChat retries within seconds; a signed request older than this is a replay, not a retry. */
export const PUSH_WINDOW_SECONDS = 300;

export type PushQuery = Partial<
  Record<'signature' | 'timestamp' | 'nonce' | 'echostr' | 'msg_signature' | 'encrypt_type', string>
>;

/** Why a push was refused: `signature` (forged, replayed or stale) or `malformed` (unreadable). */
export class PushRefused extends Error {
  override readonly name = 'PushRefused';
  constructor(
    readonly reason: 'signature' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

function checkFresh(query: PushQuery, now: number): void {
  const timestamp = Number(query.timestamp);
  if (!/^\d{1,12}$/.test(query.timestamp ?? '') || Math.abs(now / 1000 - timestamp) > PUSH_WINDOW_SECONDS) {
    throw new PushRefused('signature', `timestamp is missing or more than ${PUSH_WINDOW_SECONDS} s from now`);
  }
}

/** URL verification (§16.2): the echostr to answer, when the signature is the token's. */
export function verifyPushUrl(app: PushApp, query: PushQuery, now: number): string {
  checkFresh(query, now);
  const { signature = '', timestamp = '', nonce = '', echostr } = query;
  if (echostr === undefined || !verifyPushSignature(signature, [app.token, timestamp, nonce])) {
    throw new PushRefused('signature', 'signature does not match the token of WEAPP_PUSH');
  }
  return echostr;
}

/**
 * A POSTed push, verified and opened (§16.3-16.4). With an EncodingAESKey configured only safe or
 * compatible mode is taken — the encrypted part, signed by msg_signature, is the message — since a
 * plaintext body is signed by nothing. Without one, the URL signature is checked and the body read.
 */
export function openPush(app: PushApp, query: PushQuery, body: string, now: number): PushMessage {
  checkFresh(query, now);
  const { timestamp = '', nonce = '' } = query;
  let outer: PushMessage;
  try {
    outer = parsePushMessage(body);
  } catch (err) {
    if (err instanceof PushMessageError) throw new PushRefused('malformed', err.message);
    throw err;
  }
  if (app.encodingAesKey === undefined) {
    if (!verifyPushSignature(query.signature ?? '', [app.token, timestamp, nonce])) {
      throw new PushRefused('signature', 'signature does not match the token of WEAPP_PUSH');
    }
    return outer;
  }
  const encrypted = field(outer, 'Encrypt');
  if (encrypted === undefined) {
    throw new PushRefused('signature', 'WEAPP_PUSH has an EncodingAESKey (safe mode) but the push is not encrypted');
  }
  if (!verifyPushSignature(query.msg_signature ?? '', [app.token, timestamp, nonce, encrypted])) {
    throw new PushRefused('signature', 'msg_signature does not match the token of WEAPP_PUSH');
  }
  try {
    return parsePushMessage(decryptPushMessage(encrypted, { encodingAesKey: app.encodingAesKey, appid: app.appid }));
  } catch (err) {
    if (err instanceof PushCryptoError || err instanceof PushMessageError)
      throw new PushRefused('malformed', err.message);
    throw err;
  }
}

/**
 * What makes two deliveries one event (§16.6): MsgId for messages; for platform events, whose
 * FromUserName is the platform, the event with its user, category and time, or the media trace id.
 */
export function deliveryKey(message: PushMessage): string {
  const parts = ['MsgId', 'trace_id', 'Event', 'OpenID', 'RevokeInfo', 'CreateTime', 'FromUserName'];
  return parts.map((name) => field(message, name) ?? '').join('|');
}
