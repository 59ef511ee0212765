import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { validatePushSettings } from '../../src/emulator/push/push-settings.ts';
import { buildPushRequest, type PushObject } from '../../src/emulator/push/push-wire.ts';
import { openPush } from '../../src/server/push/open-push.ts';
import { parsePushMessage } from '../../src/server/push/push-message.ts';

const APPID = 'wx4f4bc4dec97d474b';

/** Field names as WeChat spells them: letters, digits and underscores, starting with a letter. */
const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/);
/** Text WeChat may carry in a push: any Unicode but the CDATA terminator (WeChat's own XML has none). */
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes(']]>'));
// Nested objects are never empty: WeChat writes none, and `<A></A>` reads back as an empty string.
const message: fc.Arbitrary<PushObject> = fc.dictionary(
  name,
  fc.oneof(
    text,
    fc.integer({ min: -1_000_000, max: 4_294_967_295 }),
    fc.dictionary(name, fc.oneof(text, fc.nat()), { minKeys: 1, maxKeys: 3 }),
  ),
  { minKeys: 1, maxKeys: 8 },
);

/**
 * What the emulator sends, the server reads: for any message, in every mode and format, the
 * push the emulator builds opens on the server's side (signatures, envelope, parser) to the same
 * fields. The two were written apart, each from wechat-api.md §16, so this is where they must meet.
 */
describe('emulator push ↔ server push reader', () => {
  for (const mode of ['plaintext', 'compatible', 'safe'] as const) {
    for (const format of ['json', 'xml'] as const) {
      it(`${mode} mode, ${format}: the server opens what the emulator sends`, () => {
        fc.assert(
          fc.property(
            message,
            fc.stringMatching(/^[A-Za-z0-9]{3,32}$/),
            fc.stringMatching(/^[A-Za-z0-9]{43}$/),
            (m, token, key) => {
              const settings = validatePushSettings({
                appid: APPID,
                url: 'http://127.0.0.1:1/wechat/push',
                token,
                ...(mode !== 'plaintext' && { encodingAESKey: key }),
                mode,
                format,
              });
              const now = Date.now();
              const request = buildPushRequest(settings, m, now);
              const query = Object.fromEntries(new URL(request.url).searchParams);
              // The server's WEAPP_PUSH: a key means it takes only the encrypted part (safe or compatible).
              const app = { appid: APPID, token, encodingAesKey: mode === 'plaintext' ? undefined : key };
              const opened = openPush(app, query, request.body, now);
              assert.deepEqual(opened, JSON.parse(JSON.stringify(m)));
            },
          ),
          { numRuns: 60 },
        );
      });
    }
  }

  it('a push signed with another token is refused by the server', () => {
    const settings = validatePushSettings({
      appid: APPID,
      url: 'http://h/p',
      token: 'senderToken1',
      encodingAESKey: 'a'.repeat(43),
    });
    const request = buildPushRequest(settings, { Event: 'user_authorization_revoke', OpenID: 'o1' }, Date.now());
    const query = Object.fromEntries(new URL(request.url).searchParams);
    assert.throws(
      () =>
        openPush(
          { appid: APPID, token: 'otherToken22', encodingAesKey: 'a'.repeat(43) },
          query,
          request.body,
          Date.now(),
        ),
      /msg_signature/,
    );
  });
});

describe("the server's XML reader, on what the property above found", () => {
  it('an element inside one of the same name closes at its own tag, not at the first', () => {
    // fast-check's counterexample (seed 1946935085): the first </H> cut the outer <H> in two.
    assert.deepEqual(parsePushMessage('<xml><H><H>0</H></H></xml>'), { H: { H: 0 } });
    assert.deepEqual(parsePushMessage('<xml><A><B><![CDATA[t]]></B><A>2</A></A><C>1</C></xml>'), {
      A: { B: 't', A: 2 },
      C: 1,
    });
  });

  it('a closing tag inside CDATA is text', () => {
    assert.deepEqual(parsePushMessage('<xml><A><![CDATA[</A>x]]></A><B>1</B></xml>'), { A: '</A>x', B: 1 });
  });

  it('an element that never closes is refused', () => {
    assert.throws(() => parsePushMessage('<xml><H><H>0</H></xml>'), /not flat elements/);
  });
});
