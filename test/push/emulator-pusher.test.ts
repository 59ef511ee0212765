import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PushDelivery } from '../../src/emulator/index.ts';
import { listAuditEvents } from '../../src/store/index.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { IMAGES, uploadRaw } from '../server/images.ts';
import { APPID, APPID2, type Stack, startStack } from '../server/stack.ts';

const TOKEN = 'devPushToken2026';
const AES_KEY = 'Zyxwvutsrqponmlkjihgfedcba9876543210ABCDEFG';
/**
 * No pause between retries; and WeChat's 5 s stretched to 20 s, as the server's own database and
 * WeChat timeouts are here: a loaded machine must not turn a slow answer into a retry.
 */
const PROMPT = { retryDelayMs: 0, timeoutMs: 20_000 };

/**
 * The emulator plays WeChat's message push against a real server: the user revokes in WeChat's
 * settings, WeChat's media check answers, and the server acts on what arrives — signed, sealed
 * in safe mode, retried, verified — exactly as it would in production.
 */
forEachDialect('the emulator as WeChat pusher', (h) => {
  let s: Stack;
  /** The emulator's push settings for APPID: the server's URL, its Token and key, PROMPT. */
  const configurePush = (changes: Record<string, unknown> = {}, verify = false) =>
    s.emulator.control.push.configure(
      APPID,
      { url: `${s.url}/wechat/push/${APPID}`, token: TOKEN, encodingAESKey: AES_KEY, ...PROMPT, ...changes },
      { verify },
    );
  before(async () => {
    s = await startStack(h, { env: { WEAPP_PUSH: `${APPID}:${TOKEN}:${AES_KEY}`, CONTENT_CHECK: 'on' } });
    // Saved as in mp.weixin.qq.com: the emulator first runs the URL check against the server.
    await configurePush({ mode: 'safe', format: 'json' }, true);
    // Verdicts wait for the test, and the server's PUBLIC_URL names no port the test knows.
    s.emulator.control.push.setMediaCheckPolicy({ delayMs: null, download: false });
  });

  const loggedIn = async (user: string) => {
    const login = await s.login(user);
    assert.equal(login.status, 200, login.text);
    return { token: login.body.accessToken as string, userId: login.body.user.id as string };
  };
  const act = async (user: string, action: 'profile' | 'phone' | 'all', extra: { repeat?: number } = {}) => {
    const deliveries = s.emulator.control.push.userAction({ appid: APPID, user, action, ...extra });
    const done: PushDelivery[] = [];
    for (const d of deliveries) done.push(await s.emulator.control.push.settled(d.id));
    return done;
  };
  const trail = (userId: string) => listAuditEvents(s.ctx.store.db, { userId, type: 'push.' });

  it('revoking the profile in WeChat clears nickname and avatar on the server, file included', async () => {
    const amy = await loggedIn('ep-amy');
    await s.call('PATCH', '/v1/me', { token: amy.token, body: { nickname: 'Amy' } });
    const upload = await uploadRaw(s, IMAGES.png, { token: amy.token, type: 'image/png' });
    assert.equal(upload.status, 200, upload.text);
    const [delivery] = await act('ep-amy', 'profile');
    assert.equal(delivery?.status, 'delivered');
    assert.deepEqual(
      delivery?.attempts.map((a) => [a.outcome, a.status]),
      [['success', 200]],
    );
    const me = await s.call('GET', '/v1/me', { token: amy.token });
    assert.equal(me.body.user.nickname, null);
    assert.equal(me.body.user.avatarUrl, null);
    assert.equal((await fetch(`${s.url}${new URL(upload.body.user.avatarUrl).pathname}`)).status, 404);
    const events = await trail(amy.userId);
    assert.deepEqual(
      events.map((e) => [e.type, e.details?.revokeInfo, e.details?.avatarRemoved]),
      [['push.revoked', '6', true]],
    );
  });

  it('revoking the phone number deletes the number; the XML push of compatible mode works alike', async () => {
    await configurePush({ mode: 'compatible', format: 'xml' }, true);
    try {
      const bob = await loggedIn('ep-bob');
      const phone = s.emulator.control.getPhoneNumber(APPID, 'ep-bob') as { code: string };
      assert.equal(
        (await s.call('POST', '/v1/me/phone', { token: bob.token, body: { code: phone.code } })).status,
        200,
      );
      const [delivery] = await act('ep-bob', 'phone');
      assert.equal(delivery?.status, 'delivered');
      assert.match(delivery?.request.body ?? '', /^<xml>.*<Encrypt><!\[CDATA\[/);
      const me = await s.call('GET', '/v1/me', { token: bob.token });
      assert.equal(me.body.user.phoneNumber, null);
      assert.deepEqual(
        (await trail(bob.userId)).map((e) => [e.type, e.details?.revokeInfo, e.details?.cleared]),
        [['push.revoked', '8', ['phone']]],
      );
      // The emulator's side changed too: the authorization is withdrawn there.
      assert.deepEqual(s.emulator.control.user('ep-bob').identities.find((i) => i.appid === APPID)?.revoked, ['8']);
    } finally {
      await configurePush();
    }
  });

  it('deleting the WeChat account removes the identity, and the user with their last one', async () => {
    const cy = await loggedIn('ep-cy');
    await act('ep-cy', 'all');
    assert.equal((await s.call('GET', '/v1/me', { token: cy.token })).status, 401);
    const events = await listAuditEvents(s.ctx.store.db, { userId: cy.userId });
    assert.ok(events.some((e) => e.type === 'push.identity_removed' && e.details?.userDeleted === true));
    assert.ok(events.some((e) => e.type === 'deletion.purged'));
    // The emulator's user is gone as well: a new wx.login is refused on the phone side.
    assert.throws(() => s.emulator.control.login(APPID, 'ep-cy'), /deleted their WeChat account/);

    // A user known in two apps keeps the account through the other identity (only APPID pushes here).
    const dee = await loggedIn('ep-dee');
    const other = await s.login('ep-dee', {}, APPID2);
    assert.equal(other.body.user.id, dee.userId, 'one user through the shared unionid');
    await act('ep-dee', 'all');
    const left = await s.call('GET', '/v1/me', { token: other.body.accessToken });
    assert.equal(left.status, 200, 'the APPID2 identity and its session stay');
    const removed = (await trail(dee.userId)).find((e) => e.type === 'push.identity_removed');
    assert.deepEqual(removed?.details, {
      event: 'user_authorization_cancellation',
      userDeleted: false,
      identitiesLeft: 1,
    });
  });

  it('a retried delivery is acted on once; a replay is answered but does nothing; a stale one is refused', async () => {
    const eve = await loggedIn('ep-eve');
    const phone = s.emulator.control.getPhoneNumber(APPID, 'ep-eve') as { code: string };
    assert.equal((await s.call('POST', '/v1/me/phone', { token: eve.token, body: { code: phone.code } })).status, 200);
    // WeChat delivering the same push three times (a late answer makes it re-send).
    const [delivery] = await act('ep-eve', 'phone', { repeat: 2 });
    assert.deepEqual(
      delivery?.attempts.map((a) => a.outcome),
      ['success', 'success', 'success'],
    );
    assert.equal((await trail(eve.userId)).length, 1, 'one action, one audit record');
    const request = delivery?.request;
    assert.ok(request);
    const replay = () =>
      fetch(request.url, { method: 'POST', headers: { 'content-type': request.contentType }, body: request.body });
    const again = await replay();
    assert.deepEqual([again.status, await again.text()], [200, 'success']);
    assert.equal((await trail(eve.userId)).length, 1);
    s.clock.offsetMs = 10 * 60_000;
    try {
      const stale = await replay();
      assert.equal(stale.status, 401, 'outside the signed timestamp window');
    } finally {
      s.clock.offsetMs = 0;
    }
  });

  it('a push signed with the wrong token is refused every time, and nothing happens', async () => {
    const fay = await loggedIn('ep-fay');
    await s.call('PATCH', '/v1/me', { token: fay.token, body: { nickname: 'Fay' } });
    await configurePush({ token: 'forgedToken99', retries: 1 });
    try {
      const [delivery] = await act('ep-fay', 'profile');
      assert.equal(delivery?.status, 'failed');
      assert.deepEqual(
        delivery?.attempts.map((a) => [a.outcome, a.status]),
        [
          ['rejected', 401],
          ['rejected', 401],
        ],
      );
    } finally {
      await configurePush();
    }
    assert.equal((await s.call('GET', '/v1/me', { token: fay.token })).body.user.nickname, 'Fay');
    assert.equal((await trail(fay.userId)).length, 0);
  });

  describe("WeChat's avatar check (CONTENT_CHECK=on)", () => {
    const uploadChecked = async (user: string, image: Buffer) => {
      const who = await loggedIn(user);
      const upload = await uploadRaw(s, image, { token: who.token, type: 'image/png' });
      assert.equal(upload.status, 200, upload.text);
      assert.equal(upload.body.user.avatarUnderReview, true, 'under review until WeChat answers');
      const check = s.emulator.control.push
        .mediaChecks()
        .find((c) => c.mediaUrl === upload.body.user.avatarUrl && c.user === user);
      assert.ok(check, 'submitted with the public avatar URL');
      assert.deepEqual(
        [check.scene, check.version, check.mediaType, check.openid],
        [1, 2, 2, s.emulator.control.identity(APPID, user).openid],
      );
      return { ...who, avatarUrl: upload.body.user.avatarUrl as string, traceId: check.traceId };
    };
    const decide = async (traceId: string, verdict: 'pass' | 'risky' | 'review' | 'unreachable') => {
      const decided = await s.emulator.control.push.decideMediaCheck(traceId, { verdict });
      const delivery = await s.emulator.control.push.settled(decided.deliveryId ?? 0);
      assert.equal(delivery.status, 'delivered');
      return delivery;
    };

    it('risky removes the avatar and its file, flags and audits', async () => {
      const gus = await uploadChecked('ep-gus', IMAGES.png);
      await decide(gus.traceId, 'risky');
      const me = await s.call('GET', '/v1/me', { token: gus.token });
      assert.equal(me.body.user.avatarUrl, null);
      assert.equal(me.body.user.avatarUnderReview, false);
      assert.ok(me.body.next.includes('profile_incomplete'), 'the client asks for another avatar');
      assert.equal((await fetch(`${s.url}${new URL(gus.avatarUrl).pathname}`)).status, 404);
      const row = await s.ctx.store.db
        .selectFrom('users')
        .select('avatar_review')
        .where('id', '=', gus.userId)
        .executeTakeFirstOrThrow();
      assert.equal(row.avatar_review, 'risky', 'the user is flagged');
      const events = await trail(gus.userId);
      assert.deepEqual(
        events.map((e) => [
          e.type,
          e.rid,
          e.details?.verdict,
          e.details?.label,
          e.details?.avatarRemoved,
          e.details?.fileRemoved,
        ]),
        [['push.media_check', gus.traceId, 'risky', 20002, true, true]],
      );
    });

    it('pass clears the flag and keeps the avatar; review keeps it flagged', async () => {
      const hal = await uploadChecked('ep-hal', IMAGES.gif);
      await decide(hal.traceId, 'pass');
      const me = await s.call('GET', '/v1/me', { token: hal.token });
      assert.equal(me.body.user.avatarUrl, hal.avatarUrl);
      assert.equal(me.body.user.avatarUnderReview, false);
      assert.equal((await fetch(`${s.url}${new URL(hal.avatarUrl).pathname}`)).status, 200);

      const ida = await uploadChecked('ep-ida', IMAGES.webp);
      await decide(ida.traceId, 'review');
      const flagged = await s.call('GET', '/v1/me', { token: ida.token });
      assert.equal(flagged.body.user.avatarUrl, ida.avatarUrl);
      assert.equal(flagged.body.user.avatarUnderReview, true);
      assert.deepEqual(
        (await trail(hal.userId)).map((e) => e.details?.verdict),
        ['pass'],
      );
      // The user's copy of their data says what was sent to WeChat and what it answered.
      const exported = await s.call('GET', '/v1/me/export', { token: hal.token });
      assert.deepEqual(
        exported.body.avatarChecks.map((c: Record<string, unknown>) => [c.traceId, c.avatarUrl, c.verdict, c.label]),
        [[hal.traceId, hal.avatarUrl, 'pass', 100]],
      );
      assert.equal(exported.body.user.avatarReview, null);
      assert.deepEqual(
        (await trail(ida.userId)).map((e) => e.details?.verdict),
        ['review'],
      );
    });

    it('a verdict about an avatar already replaced leaves the new one alone', async () => {
      const jo = await uploadChecked('ep-jo', IMAGES.jpg);
      const second = await uploadRaw(s, IMAGES.png, { token: jo.token, type: 'image/png' });
      await decide(jo.traceId, 'risky');
      const me = await s.call('GET', '/v1/me', { token: jo.token });
      assert.equal(me.body.user.avatarUrl, second.body.user.avatarUrl);
      assert.equal(me.body.user.avatarUnderReview, true, 'the new avatar still awaits its own verdict');
      assert.equal((await trail(jo.userId))[0]?.details?.current, false);
    });

    it('WeChat unable to fetch the image (-1008) leaves the avatar for review', async () => {
      const kim = await uploadChecked('ep-kim', IMAGES.png);
      await decide(kim.traceId, 'unreachable');
      const me = await s.call('GET', '/v1/me', { token: kim.token });
      assert.equal(me.body.user.avatarUnderReview, true);
      assert.deepEqual((await trail(kim.userId))[0]?.details, { verdict: 'error', errcode: '-1008', current: true });
    });

    it('media_check_async failing: open keeps the avatar flagged for review', async () => {
      const fault = s.emulator.control.addFault({ api: 'media_check_async', errcode: 45009, count: 1 });
      try {
        const lee = await loggedIn('ep-lee');
        const upload = await uploadRaw(s, IMAGES.png, { token: lee.token, type: 'image/png' });
        assert.equal(upload.status, 200, upload.text);
        assert.equal(upload.body.user.avatarUnderReview, true);
      } finally {
        s.emulator.control.removeFault(fault.id);
      }
    });
  });
});

forEachDialect('the avatar check with CONTENT_CHECK_FAILURE=closed', (h) => {
  it('refuses the upload when media_check_async fails, and keeps no file', async () => {
    const s = await startStack(h, {
      env: { CONTENT_CHECK: 'on', CONTENT_CHECK_FAILURE: 'closed', WEAPP_PUSH: `${APPID}:${TOKEN}:${AES_KEY}` },
    });
    s.emulator.control.addFault({ api: 'media_check_async', errcode: 45009 });
    const login = await s.login('ep-closed');
    const upload = await uploadRaw(s, IMAGES.png, { token: login.body.accessToken, type: 'image/png' });
    assert.equal(upload.status, 503, upload.text);
    assert.equal(upload.body.code, 'CONTENT_CHECK_UNAVAILABLE');
    const me = await s.call('GET', '/v1/me', { token: login.body.accessToken });
    assert.equal(me.body.user.avatarUrl, null);
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(s.avatarDir), []);
  });
});

forEachDialect('the avatar check without a message push', (h) => {
  it('does not submit avatars whose verdict could never arrive, and says so in the log', async () => {
    const s = await startStack(h, { env: { CONTENT_CHECK: 'on' } });
    const login = await s.login('ep-nopush');
    const upload = await uploadRaw(s, IMAGES.png, { token: login.body.accessToken, type: 'image/png' });
    assert.equal(upload.status, 200, upload.text);
    assert.equal(upload.body.user.avatarUnderReview, false);
    assert.equal(s.upstreamCalls('media_check_async'), 0);
    assert.match(s.logs.join(''), /WEAPP_PUSH has no message push for this app: avatars are not checked/);
  });
});
