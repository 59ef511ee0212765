import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { listAuditEvents } from '../../src/store/index.ts';
import { encryptPushMessage, pushSignature } from '../../src/wechat/push/message-crypto.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { pushVectors } from '../helpers/vectors.ts';
import { IMAGES, uploadRaw } from '../server/images.ts';
import { APPID, type Stack, startStack } from '../server/stack.ts';

const TOKEN = 'pushToken2026';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

const vectors = pushVectors;

interface Push {
  query: string;
  body: string;
  type: string;
}

/** A push as WeChat sends it in safe mode: the message sealed, msg_signature over it. */
function safePush(message: Record<string, unknown>, options: { format?: 'json' | 'xml'; at?: number } = {}): Push {
  const timestamp = String(Math.floor((options.at ?? Date.now()) / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const inner =
    options.format === 'xml'
      ? `<xml>${Object.entries(message)
          .map(([k, v]) => (typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`))
          .join('')}</xml>`
      : JSON.stringify(message);
  const Encrypt = encryptPushMessage(inner, { encodingAesKey: AES_KEY, appid: APPID });
  const query = new URLSearchParams({
    signature: pushSignature([TOKEN, timestamp, nonce]),
    timestamp,
    nonce,
    openid: String(message.OpenID ?? ''),
    encrypt_type: 'aes',
    msg_signature: pushSignature([TOKEN, timestamp, nonce, Encrypt]),
  });
  const body =
    options.format === 'xml'
      ? `<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[${Encrypt}]]></Encrypt></xml>`
      : JSON.stringify({ ToUserName: 'gh_97417a04a28d', Encrypt });
  return { query: query.toString(), body, type: options.format === 'xml' ? 'text/xml' : 'application/json' };
}

function userEvent(openid: string, event: string, revokeInfo?: string) {
  return {
    ToUserName: 'gh_97417a04a28d',
    FromUserName: 'oPlatform000000000000000000',
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: event,
    OpenID: openid,
    AppID: APPID,
    ...(revokeInfo !== undefined && { RevokeInfo: revokeInfo }),
  };
}

async function post(s: Stack, push: Push, appid = APPID) {
  const res = await fetch(`${s.url}/wechat/push/${appid}?${push.query}`, {
    method: 'POST',
    headers: { 'content-type': push.type },
    body: push.body,
  });
  return { status: res.status, text: await res.text() };
}

forEachDialect('WeChat message push', (h) => {
  describe('safe mode (WEAPP_PUSH with an EncodingAESKey)', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h, { env: { WEAPP_PUSH: `${APPID}:${TOKEN}:${AES_KEY}` } });
    });

    const loggedIn = async (user: string) => {
      const login = await s.login(user);
      const identity = await s.ctx.store.db
        .selectFrom('identities')
        .select('openid')
        .where('user_id', '=', login.body.user.id)
        .executeTakeFirstOrThrow();
      return { openid: identity.openid, token: login.body.accessToken as string, userId: login.body.user.id as string };
    };
    const bindPhone = async (user: string, token: string) => {
      const phone = s.emulator.control.getPhoneNumber(APPID, user) as { code: string };
      const bound = await s.call('POST', '/v1/me/phone', { token, body: { code: phone.code } });
      assert.equal(bound.status, 200, bound.text);
    };

    it('answers the URL check with echostr when signed with the token, 401 otherwise', async () => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const query = new URLSearchParams({
        signature: pushSignature([TOKEN, timestamp, '42']),
        timestamp,
        nonce: '42',
        echostr: '4375120948345356249',
      });
      const ok = await fetch(`${s.url}/wechat/push/${APPID}?${query}`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), '4375120948345356249');
      query.set('signature', pushSignature(['other', timestamp, '42']));
      const bad = await fetch(`${s.url}/wechat/push/${APPID}?${query}`);
      assert.equal(bad.status, 401);
      assert.equal(((await bad.json()) as { code: string }).code, 'UNAUTHORIZED');
    });

    it('revoking the phone number (RevokeInfo 8) deletes exactly the phone number, once', async () => {
      const amy = await loggedIn('push-amy');
      await bindPhone('push-amy', amy.token);
      await s.call('PATCH', '/v1/me', { token: amy.token, body: { nickname: 'Amy' } });
      const push = safePush(userEvent(amy.openid, 'user_authorization_revoke', '8'));
      assert.deepEqual(await post(s, push), { status: 200, text: 'success' });
      const me = await s.call('GET', '/v1/me', { token: amy.token });
      assert.equal(me.body.user.phoneNumber, null);
      assert.equal(me.body.user.nickname, 'Amy', 'the profile was not withdrawn');
      // WeChat delivers again when an answer is late: the same event is acted on once.
      assert.deepEqual(await post(s, push), { status: 200, text: 'success' });
      const revoked = await listAuditEvents(s.ctx.store.db, { userId: amy.userId, type: 'push.' });
      assert.equal(revoked.length, 1);
      assert.deepEqual(revoked[0]?.details, {
        event: 'user_authorization_revoke',
        revokeInfo: '8',
        cleared: ['phone'],
      });
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(metrics, /weapp_auth_push_events_total\{event="user_authorization_revoke",outcome="duplicate"\} 1/);
      assert.match(
        metrics,
        /weapp_auth_push_events_total\{event="user_authorization_revoke",outcome="phone_cleared"\} 1/,
      );
    });

    it('revoking the profile (RevokeInfo 6, XML) clears nickname and avatar and removes the file', async () => {
      const bob = await loggedIn('push-bob');
      await s.call('PATCH', '/v1/me', { token: bob.token, body: { nickname: 'Bob' } });
      const upload = await uploadRaw(s, IMAGES.jpg, { token: bob.token, type: 'image/jpeg' });
      assert.equal(upload.status, 200, upload.text);
      const push = safePush(userEvent(bob.openid, 'user_authorization_revoke', '6'), { format: 'xml' });
      assert.deepEqual(await post(s, push), { status: 200, text: 'success' });
      const me = await s.call('GET', '/v1/me', { token: bob.token });
      assert.equal(me.body.user.nickname, null);
      assert.equal(me.body.user.avatarUrl, null);
      const avatarPath = new URL(upload.body.user.avatarUrl).pathname;
      assert.equal((await fetch(`${s.url}${avatarPath}`)).status, 404);
    });

    it('user_info_modified clears the profile WeChat cleaned', async () => {
      const cat = await loggedIn('push-cat');
      await s.call('PATCH', '/v1/me', { token: cat.token, body: { nickname: 'Cat' } });
      assert.equal((await post(s, safePush(userEvent(cat.openid, 'user_info_modified')))).status, 200);
      assert.equal((await s.call('GET', '/v1/me', { token: cat.token })).body.user.nickname, null);
    });

    it('user_authorization_cancellation removes the identity and, being the last, the user', async () => {
      const dan = await loggedIn('push-dan');
      assert.equal((await post(s, safePush(userEvent(dan.openid, 'user_authorization_cancellation')))).status, 200);
      assert.equal((await s.call('GET', '/v1/me', { token: dan.token })).status, 401);
      const again = await s.login('push-dan');
      assert.equal(again.body.isNewUser, true);
      const trail = await listAuditEvents(s.ctx.store.db, { userId: dan.userId });
      assert.ok(trail.some((e) => e.type === 'push.identity_removed' && e.details?.userDeleted === true));
      assert.ok(trail.some((e) => e.type === 'deletion.purged'));
    });

    it('refuses forged, replayed, unencrypted and foreign pushes; a push about nobody is answered', async () => {
      const eve = await loggedIn('push-eve');
      await bindPhone('push-eve', eve.token);
      const event = userEvent(eve.openid, 'user_authorization_revoke', '8');

      const forged = safePush(event);
      forged.query = forged.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'0'.repeat(40)}`);
      assert.equal((await post(s, forged)).status, 401);

      const stale = safePush(event, { at: Date.now() - 10 * 60_000 });
      assert.equal((await post(s, stale)).status, 401);

      const plain = safePush(event);
      plain.body = JSON.stringify(event);
      assert.equal((await post(s, plain)).status, 401, 'safe mode takes no unsigned body');

      // Sealed for another app: the appid inside the envelope does not match.
      const timestamp = String(Math.floor(Date.now() / 1000));
      const Encrypt = encryptPushMessage(JSON.stringify(event), {
        encodingAesKey: AES_KEY,
        appid: 'wx0000000000000000',
      });
      const foreign = {
        query: new URLSearchParams({
          timestamp,
          nonce: '1',
          encrypt_type: 'aes',
          msg_signature: pushSignature([TOKEN, timestamp, '1', Encrypt]),
        }).toString(),
        body: JSON.stringify({ Encrypt }),
        type: 'application/json',
      };
      const refused = await post(s, foreign);
      assert.equal(refused.status, 400);
      assert.match(refused.text, /another appid/);
      assert.notEqual((await s.call('GET', '/v1/me', { token: eve.token })).body.user.phoneNumber, null);

      const nobody = safePush(userEvent('oNobody0000000000000000000', 'user_authorization_revoke', '8'));
      assert.deepEqual(await post(s, nobody), { status: 200, text: 'success' });
      assert.equal((await post(s, safePush(event), 'wx0123456789abcdef')).status, 404);
    });
  });

  describe('plaintext mode (WEAPP_PUSH without a key): the official vector', () => {
    let s: Stack;
    before(async () => {
      s = await startStack(h, { env: { WEAPP_PUSH: `${APPID}:${vectors.official.plaintextModePush.token}` } });
    });

    it('takes the official debug_demo push only within the replay window, whatever its Content-Type', async () => {
      const v = vectors.official.plaintextModePush;
      // The vector was signed in 2024: today it is a replay.
      const old = await post(s, {
        query: new URLSearchParams(v.query).toString(),
        body: JSON.stringify(v.body),
        type: 'application/json',
      });
      assert.equal(old.status, 401);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const fresh = new URLSearchParams({
        signature: pushSignature([v.token, timestamp, v.query.nonce]),
        timestamp,
        nonce: v.query.nonce,
      });
      // JSON labelled text/xml, as WeChat has sent it: the body decides, not the header.
      const res = await post(s, { query: fresh.toString(), body: JSON.stringify(v.body), type: 'text/xml' });
      assert.deepEqual(res, { status: 200, text: 'success' });
    });
  });
});
