import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AccessTokenManager,
  type AccessTokenManagerOptions,
  type AccessTokenStore,
  FORCE_REFRESH_SPACING_MS,
  MemoryAccessTokenStore,
  WeChatApiError,
  WeChatClient,
} from '../../../src/wechat/index.ts';
import { type FakeRequest, FakeWeChat, ok, SAMPLE, wechatError } from '../../helpers/fake-wechat.ts';

const HOUR2 = 7_200_000;
const MARGIN = 5 * 60_000;
const PHONE = '/wxa/business/getuserphonenumber';
const STABLE = '/cgi-bin/stable_token';
const phoneOk = ok({
  errcode: 0,
  errmsg: 'ok',
  phone_info: {
    phoneNumber: '13580006666',
    purePhoneNumber: '13580006666',
    countryCode: '86',
    watermark: { timestamp: 1637744274, appid: SAMPLE.appid },
  },
});
const forced = (r: FakeRequest) => (r.json as { force_refresh?: boolean }).force_refresh === true;

describe('AccessTokenManager', () => {
  let fake: FakeWeChat;
  let client: WeChatClient;
  let now: number;
  let store: MemoryAccessTokenStore;
  const clock = () => now;

  const manager = (options: Partial<AccessTokenManagerOptions> = {}) =>
    new AccessTokenManager({ client, secrets: { [SAMPLE.appid]: SAMPLE.secret }, store, now: clock, ...options });
  const stableFetches = () => fake.received(STABLE).length;
  /** The phone endpoint accepts only the stable tokens of generation >= `min`. */
  const phoneAccepts = (min: number) =>
    fake.handle(PHONE, (req) => {
      const generation = Number(/^70_stable(\d+)$/.exec(req.query.get('access_token') ?? '')?.[1] ?? 0);
      return generation >= min && generation === fake.stableGeneration
        ? phoneOk
        : wechatError(40001, 'invalid credential, access_token is invalid or not latest');
    });
  const phoneNumber = (m: AccessTokenManager) =>
    m.withAccessToken(SAMPLE.appid, (accessToken) =>
      client.getPhoneNumber({ accessToken, code: SAMPLE.phoneCode, appid: SAMPLE.appid }),
    );

  before(async () => {
    fake = await FakeWeChat.start();
    client = new WeChatClient({ baseUrl: fake.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
  });
  after(async () => {
    await client.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    now = 1_700_000_000_000;
    store = new MemoryAccessTokenStore({ now: clock });
  });

  describe('single flight', () => {
    it('100 concurrent callers on a cold cache cause exactly 1 upstream fetch', async () => {
      let lockAttempts = 0;
      const counting: AccessTokenStore = {
        get: (appid) => store.get(appid),
        set: (appid, token) => store.set(appid, token),
        acquireLock: (key, ttlMs) => {
          lockAttempts++;
          return store.acquireLock(key, ttlMs);
        },
        releaseLock: (key, owner) => store.releaseLock(key, owner),
      };
      const m = manager({ store: counting });
      const tokens = await Promise.all(Array.from({ length: 100 }, () => m.getAccessToken(SAMPLE.appid)));
      assert.equal(stableFetches(), 1);
      assert.deepEqual(new Set(tokens), new Set(['70_stable1']));
      assert.equal(lockAttempts, 1, 'in-process callers share one flight instead of queueing on the store lock');
    });

    it('later callers are served from the cache', async () => {
      const m = manager();
      await m.getAccessToken(SAMPLE.appid);
      now += 60 * 60_000;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_stable1');
      assert.equal(stableFetches(), 1);
    });

    it('two instances sharing a store fetch once between them', async () => {
      const [a, b] = [manager({ lockPollMs: 5 }), manager({ lockPollMs: 5 })];
      const tokens = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).getAccessToken(SAMPLE.appid)),
      );
      assert.equal(stableFetches(), 1);
      assert.deepEqual(new Set(tokens), new Set(['70_stable1']));
    });

    it('uses /cgi-bin/token when configured', async () => {
      const m = manager({ endpoint: 'token' });
      const tokens = await Promise.all(Array.from({ length: 10 }, () => m.getAccessToken(SAMPLE.appid)));
      assert.deepEqual(new Set(tokens), new Set(['70_token1']));
      assert.equal(fake.received('/cgi-bin/token').length, 1);
      assert.equal(stableFetches(), 0);
    });

    it('looks secrets up through a function, and refuses an unknown appid before any fetch', async () => {
      const seen: string[] = [];
      const m = manager({
        secrets: async (appid) => {
          seen.push(appid);
          return appid === SAMPLE.appid ? SAMPLE.secret : undefined;
        },
      });
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_stable1');
      await assert.rejects(
        m.getAccessToken('wx0000000000000000'),
        /no secret is configured for appid wx0000000000000000/,
      );
      await assert.rejects(manager().getAccessToken('wx0000000000000000'), TypeError);
      assert.deepEqual(seen, [SAMPLE.appid, 'wx0000000000000000']);
      assert.equal(stableFetches(), 1);
    });
  });

  describe('expiry margin', () => {
    it('refreshes once the token enters the default 5-minute margin, not before', async () => {
      fake.script(
        STABLE,
        ok({ access_token: '70_A', expires_in: 7200 }),
        ok({ access_token: '70_B', expires_in: 7200 }),
      );
      const m = manager();
      const start = now;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_A');
      now = start + HOUR2 - MARGIN - 1;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_A');
      assert.equal(stableFetches(), 1);
      now = start + HOUR2 - MARGIN;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_B');
      assert.equal(stableFetches(), 2);
    });

    it('honours a configured margin', async () => {
      fake.script(
        STABLE,
        ok({ access_token: '70_A', expires_in: 7200 }),
        ok({ access_token: '70_B', expires_in: 7200 }),
      );
      const m = manager({ refreshMarginMs: 60_000 });
      const start = now;
      await m.getAccessToken(SAMPLE.appid);
      now = start + HOUR2 - 60_001;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_A');
      now = start + HOUR2 - 60_000;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_B');
    });

    it('a token shorter-lived than twice the margin is still used for half its life (no refetch loop)', async () => {
      // The stable endpoint may answer expires_in 300 near the end of a token's life.
      fake.script(
        STABLE,
        ok({ access_token: '70_short', expires_in: 300 }),
        ok({ access_token: '70_next', expires_in: 7200 }),
      );
      const m = manager();
      const start = now;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_short');
      now = start + 149_999;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_short');
      assert.equal(stableFetches(), 1);
      now = start + 150_000;
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_next');
    });

    it('when the refresh fails inside the margin, the still-valid token is served', async () => {
      const m = manager();
      const start = now;
      await m.getAccessToken(SAMPLE.appid);
      now = start + HOUR2 - 1000;
      fake.script(
        STABLE,
        wechatError(-1, 'system error'),
        wechatError(-1, 'system error'),
        wechatError(-1, 'system error'),
      );
      assert.equal(await m.getAccessToken(SAMPLE.appid), '70_stable1');
    });

    it('when the token has expired and the refresh fails, the error is thrown', async () => {
      const m = manager();
      const start = now;
      await m.getAccessToken(SAMPLE.appid);
      now = start + HOUR2;
      fake.script(STABLE, wechatError(45009, 'reach max api daily quota limit'));
      await assert.rejects(m.getAccessToken(SAMPLE.appid), { name: 'WeChatApiError', errcode: 45009 });
    });

    it('a fetch error (wrong secret: 40001 at the token endpoint) is thrown, not retried as a bad token', async () => {
      fake.script(STABLE, wechatError(40125, 'invalid appsecret'));
      await assert.rejects(manager().getAccessToken(SAMPLE.appid), { errcode: 40125, category: 'credentials_invalid' });
      fake.script('/cgi-bin/token', wechatError(40001, 'invalid credential'));
      await assert.rejects(manager({ endpoint: 'token' }).getAccessToken(SAMPLE.appid), { errcode: 40001 });
      assert.equal(fake.received('/cgi-bin/token').length, 1);
    });
  });

  describe('withAccessToken', () => {
    it('40001 on a superseded token: refreshes once and retries the call', async () => {
      phoneAccepts(1);
      // Another process left a token WeChat no longer accepts.
      await store.set(SAMPLE.appid, { accessToken: '70_superseded', issuedAt: now - 1000, expiresAt: now + HOUR2 });
      const result = await phoneNumber(manager());
      assert.equal(result.phoneNumber, '13580006666');
      assert.deepEqual(
        fake.received(PHONE).map((r) => r.query.get('access_token')),
        ['70_superseded', '70_stable1'],
      );
      assert.equal(stableFetches(), 1);
      assert.equal((await store.get(SAMPLE.appid))?.accessToken, '70_stable1');
    });

    it('42001 (expired) is handled the same way', async () => {
      fake.script(PHONE, wechatError(42001, 'access_token expired'));
      await store.set(SAMPLE.appid, { accessToken: '70_expired', issuedAt: now - 1000, expiresAt: now + HOUR2 });
      assert.equal((await phoneNumber(manager())).countryCode, '86');
      assert.equal(stableFetches(), 1);
    });

    it('the stable endpoint still returns the rejected token: force_refresh, then retry', async () => {
      phoneAccepts(2);
      const result = await phoneNumber(manager());
      assert.equal(result.purePhoneNumber, '13580006666');
      assert.deepEqual(
        fake.received(STABLE).map(forced),
        [false, false, true],
        'a normal fetch first, then one forced refresh because it returned the rejected token',
      );
      assert.deepEqual(
        fake.received(PHONE).map((r) => r.query.get('access_token')),
        ['70_stable1', '70_stable2'],
      );
    });

    it('no second forced refresh within 30 s: the rejection is thrown instead of looping', async () => {
      const m = manager();
      phoneAccepts(2);
      await phoneNumber(m);
      phoneAccepts(3);
      const phoneCallsBefore = fake.received(PHONE).length;
      await assert.rejects(phoneNumber(m), (err: unknown) => err instanceof WeChatApiError && err.errcode === 40001);
      assert.equal(fake.received(PHONE).length - phoneCallsBefore, 1, 'the call is not repeated with the same token');
      assert.equal(fake.received(STABLE).filter(forced).length, 1);

      now += FORCE_REFRESH_SPACING_MS;
      assert.equal((await phoneNumber(m)).countryCode, '86');
      assert.equal(fake.received(STABLE).filter(forced).length, 2);
    });

    it('a second rejection after the refresh is thrown: fn runs at most twice', async () => {
      let calls = 0;
      const m = manager({ endpoint: 'token' });
      await assert.rejects(
        m.withAccessToken(SAMPLE.appid, async () => {
          calls++;
          throw new WeChatApiError({ api: 'msgSecCheck', errcode: 40001, errmsg: 'invalid credential' });
        }),
        { errcode: 40001 },
      );
      assert.equal(calls, 2);
      assert.equal(fake.received('/cgi-bin/token').length, 2);
    });

    it('other errors are thrown without a refresh', async () => {
      const m = manager();
      fake.script(PHONE, wechatError(40029, 'invalid code'));
      await assert.rejects(phoneNumber(m), { errcode: 40029, isInvalidCode: true });
      await assert.rejects(
        m.withAccessToken(SAMPLE.appid, async () => {
          throw new Error('unrelated');
        }),
        /unrelated/,
      );
      assert.equal(stableFetches(), 1);
      assert.equal(fake.received(PHONE).length, 1);
    });

    it('100 concurrent calls rejected together share one refresh', async () => {
      phoneAccepts(1);
      await store.set(SAMPLE.appid, { accessToken: '70_superseded', issuedAt: now - 1000, expiresAt: now + HOUR2 });
      const m = manager();
      const results = await Promise.all(Array.from({ length: 100 }, () => phoneNumber(m)));
      assert.equal(results.length, 100);
      assert.equal(stableFetches(), 1);
      assert.equal(fake.received(PHONE).length, 200);
    });

    it('invalidate returns the token another caller already stored without fetching', async () => {
      const m = manager();
      await store.set(SAMPLE.appid, { accessToken: '70_fresh', issuedAt: now, expiresAt: now + HOUR2 });
      assert.equal(await m.invalidate(SAMPLE.appid, '70_rejected'), '70_fresh');
      assert.equal(stableFetches(), 0);
    });
  });

  describe('sequence guard', () => {
    it("an older fetch's late answer never overwrites a newer token", async () => {
      let releaseOld: () => void = () => {};
      const oldAnswer = new Promise<void>((resolve) => {
        releaseOld = resolve;
      });
      fake.script(
        STABLE,
        { ...ok({ access_token: '70_old', expires_in: 7200 }), after: oldAnswer },
        ok({ access_token: '70_new', expires_in: 7200 }),
      );
      // Two instances; B does not wait for A's lock (as when A's lock expired while A hung).
      let tick = now;
      const advancing = () => ++tick;
      const shared = new MemoryAccessTokenStore({ now: advancing });
      const a = manager({ store: shared, now: advancing });
      const b = manager({ store: shared, now: advancing, lockWaitMs: 0, lockPollMs: 1 });

      const slow = a.getAccessToken(SAMPLE.appid);
      while (fake.received(STABLE).length < 1) await new Promise((r) => setImmediate(r));
      assert.equal(await b.getAccessToken(SAMPLE.appid), '70_new');
      releaseOld();
      assert.equal(await slow, '70_new', 'A learns the newer token instead of its own older answer');
      assert.equal((await shared.get(SAMPLE.appid))?.accessToken, '70_new');
    });
  });

  it('rejects bad options', () => {
    assert.throws(() => new AccessTokenManager({ secrets: {} } as never), TypeError);
    assert.throws(() => manager({ endpoint: 'other' as never }), TypeError);
    assert.throws(() => manager({ refreshMarginMs: -1 }), TypeError);
  });
});
