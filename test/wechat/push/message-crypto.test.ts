import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decryptPushMessage,
  encryptPushMessage,
  parseEncodingAesKey,
  pushSignature,
  verifyPushSignature,
} from '../../../src/wechat/push/message-crypto.ts';
import { pushVectors } from '../../helpers/vectors.ts';

const vectors = pushVectors;
const { official } = vectors;
// biome-ignore lint/suspicious/noExplicitAny: as above
const named = (name: string): any =>
  [...vectors.sdk, ...vectors.derived].find((v: { name: string }) => v.name === name);
const random = (text: string) => Buffer.from(text, 'utf8');

describe('message push signatures (wechat-api.md §16.2-16.3)', () => {
  it('URL verification: the official vector', () => {
    const { token, query } = official.urlVerification;
    assert.equal(pushSignature([token, query.timestamp, query.nonce]), official.urlVerification.expectedSignature);
    assert.ok(verifyPushSignature(query.signature, [token, query.timestamp, query.nonce]));
  });

  it('plaintext push: the URL signature, which does not cover the body', () => {
    const { token, query } = official.plaintextModePush;
    assert.ok(verifyPushSignature(query.signature, [token, query.timestamp, query.nonce]));
  });

  it('safe mode: msg_signature covers Encrypt; the URL signature is still valid', () => {
    const { token, query, body } = official.safeModePush;
    assert.ok(verifyPushSignature(query.msg_signature, [token, query.timestamp, query.nonce, body.Encrypt]));
    assert.ok(verifyPushSignature(query.signature, [token, query.timestamp, query.nonce]));
    for (const name of ['easywechat-decrypt', 'wechatpy-work-decrypt']) {
      const v = named(name);
      assert.equal(pushSignature([v.token, v.timestamp, v.nonce, v.Encrypt]), v.expectedMsgSignature, name);
    }
  });

  it('sorts as strings in code-unit order, not as numbers', () => {
    assert.equal(pushSignature(['10', '9', 'A']), pushSignature(['A', '10', '9']));
    assert.notEqual(pushSignature(['9', '10']), pushSignature(['9', '1', '0']));
  });

  it('refuses a wrong, truncated or non-string signature', () => {
    const { token, query } = official.urlVerification;
    const parts = [token, query.timestamp, query.nonce];
    assert.equal(verifyPushSignature(query.signature.slice(0, -1), parts), false);
    assert.equal(verifyPushSignature(`${query.signature.slice(0, -1)}0`, parts), false);
    assert.equal(verifyPushSignature(undefined as unknown as string, parts), false);
    assert.ok(verifyPushSignature(query.signature.toUpperCase(), parts), 'hex case does not matter');
  });
});

describe('safe-mode envelope (wechat-api.md §16.4)', () => {
  it('decrypts the official request (pad 19, more than Node unpads) and re-encrypts it byte for byte', () => {
    const v = official.safeModePush;
    const options = { encodingAesKey: v.encodingAESKey, appid: v.appid };
    assert.equal(decryptPushMessage(v.body.Encrypt, options), v.decrypted.msg);
    assert.equal(
      encryptPushMessage(v.decrypted.msg, { ...options, random: random(v.decrypted.random) }),
      v.body.Encrypt,
    );
  });

  it('the official reply, the SDK vectors and the derived ones', () => {
    const reply = official.safeModeReply;
    assert.equal(
      encryptPushMessage(reply.plaintext, {
        encodingAesKey: reply.encodingAESKey,
        appid: reply.appid,
        random: random(reply.random),
      }),
      reply.expectedEncrypt,
    );
    assert.equal(
      pushSignature([reply.token, String(reply.timeStamp), reply.nonce, reply.expectedEncrypt]),
      reply.expectedMsgSignature,
    );
    for (const name of [
      'wxjava-encrypt-fixed-random-utf8',
      'wxjava-encrypt-fixed-random-xml',
      'full-32-byte-padding-block',
    ]) {
      const v = named(name);
      const options = { encodingAesKey: v.encodingAESKey, appid: v.appid };
      assert.equal(encryptPushMessage(v.plaintext, { ...options, random: random(v.random) }), v.expectedEncrypt, name);
      assert.equal(decryptPushMessage(v.expectedEncrypt, options), v.plaintext, name);
    }
    for (const name of ['easywechat-decrypt', 'wechatpy-work-decrypt']) {
      const v = named(name);
      const options = { encodingAesKey: v.encodingAESKey, appid: v.appid ?? v.receiveId };
      assert.equal(decryptPushMessage(v.Encrypt, options), v.decrypted.msg, name);
    }
    const json = named('safe-mode-json-authorized-user-information-changes');
    assert.equal(
      decryptPushMessage(json.body.Encrypt, { encodingAesKey: json.encodingAESKey, appid: json.appid }),
      json.plaintext,
    );
  });

  it('a key differing only in the last character’s dropped bits is the same key', () => {
    assert.deepEqual(
      parseEncodingAesKey('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'),
      parseEncodingAesKey('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFE'),
    );
    assert.throws(() => parseEncodingAesKey('short'), { code: 'INVALID_AES_KEY' });
    assert.throws(() => parseEncodingAesKey(`${'A'.repeat(42)}+`), { code: 'INVALID_AES_KEY' });
  });

  it('refuses another appid, a wrong key, a cut or altered envelope, with typed codes', () => {
    const v = official.safeModePush;
    const options = { encodingAesKey: v.encodingAESKey, appid: v.appid };
    assert.throws(() => decryptPushMessage(v.body.Encrypt, { ...options, appid: 'wx0000000000000000' }), {
      code: 'APPID_MISMATCH',
    });
    const other = { ...options, encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
    assert.throws(() => decryptPushMessage(v.body.Encrypt, other), { code: /DECRYPT_FAILED|APPID_MISMATCH/ });
    assert.throws(() => decryptPushMessage(v.body.Encrypt.slice(0, 40), options), { code: 'MALFORMED_CIPHERTEXT' });
    assert.throws(() => decryptPushMessage('not base64!', options), { code: 'MALFORMED_CIPHERTEXT' });
    assert.throws(() => decryptPushMessage('', options), { code: 'MALFORMED_CIPHERTEXT' });
    // The last block altered: its padding no longer reads as PKCS#7.
    const bytes = Buffer.from(v.body.Encrypt, 'base64');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    assert.throws(() => decryptPushMessage(bytes.toString('base64'), options), {
      code: /DECRYPT_FAILED|APPID_MISMATCH/,
    });
  });

  it('property: any message and appid round-trip; another appid never opens it', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.stringMatching(/^[A-Za-z0-9]{43}$/),
        fc.stringMatching(/^wx[0-9a-f]{16}$/),
        (message, encodingAesKey, appid) => {
          const sealed = encryptPushMessage(message, { encodingAesKey, appid });
          assert.equal(Buffer.from(sealed, 'base64').length % 32, 0);
          assert.equal(decryptPushMessage(sealed, { encodingAesKey, appid }), message);
          assert.throws(() => decryptPushMessage(sealed, { encodingAesKey, appid: `${appid}x` }), {
            code: 'APPID_MISMATCH',
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: arbitrary base64 never escapes as anything but a PushCryptoError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 256 }), (bytes) => {
        try {
          decryptPushMessage(Buffer.from(bytes).toString('base64'), {
            encodingAesKey: 'A'.repeat(43),
            appid: 'wxba5fad812f8e6fb9',
          });
        } catch (err) {
          assert.equal((err as Error).name, 'PushCryptoError');
        }
      }),
      { numRuns: 500 },
    );
  });
});
