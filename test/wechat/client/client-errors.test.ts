import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type WeChatApi, WeChatApiError, WeChatClient, type WeChatErrorCategory } from '../../../src/wechat/index.ts';
import { FakeWeChat, RID, SAMPLE, wechatError } from '../../helpers/fake-wechat.ts';

type Row = [errcode: number, errmsg: string, category: WeChatErrorCategory];

/** Every errcode wechat-api.md lists for each call (documented and commonly observed), with its category. */
const DOCUMENTED: Record<WeChatApi, Row[]> = {
  code2Session: [
    [40029, 'invalid code', 'invalid_code'],
    [45011, 'api minute-quota reach limit  mustslower  retry next minute', 'rate_limited'],
    [40226, 'code blocked', 'code_blocked'],
    [-1, 'system error', 'busy'],
    [40163, 'code been used', 'invalid_code'],
    [40013, 'invalid appid', 'credentials_invalid'],
    [40125, 'invalid appsecret', 'credentials_invalid'],
    [41002, 'appid missing', 'invalid_request'],
    [41004, 'appsecret missing', 'invalid_request'],
    [41008, 'missing code', 'invalid_code'],
  ],
  getAccessToken: [
    [-1, 'system error', 'busy'],
    [40001, 'invalid credential, access_token is invalid or not latest', 'credentials_invalid'],
    [40002, 'invalid grant_type', 'invalid_request'],
    [40013, 'invalid appid', 'credentials_invalid'],
    [40125, 'invalid appsecret', 'credentials_invalid'],
    [40164, 'invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist', 'ip_not_allowed'],
    [40243, 'AppSecret已被冻结', 'credentials_invalid'],
    [41004, 'appsecret missing', 'invalid_request'],
    [45009, 'reach max api daily quota limit', 'quota_exceeded'],
    [50004, 'api forbidden for irregularities', 'permission_denied'],
    [50007, 'account freezed', 'permission_denied'],
    [61024, 'must use component token', 'permission_denied'],
    [89501, 'waiting for admin confirmation', 'ip_not_allowed'],
    [89503, 'need admin confirmation', 'ip_not_allowed'],
    [89506, 'rejected twice', 'ip_not_allowed'],
    [89507, 'rejected once', 'ip_not_allowed'],
  ],
  getStableAccessToken: [
    [-1, 'system error', 'busy'],
    [40002, 'invalid grant_type', 'invalid_request'],
    [40013, 'invalid appid', 'credentials_invalid'],
    [40125, 'invalid appsecret', 'credentials_invalid'],
    [40164, 'invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist', 'ip_not_allowed'],
    [41002, 'appid missing', 'invalid_request'],
    [41004, 'appsecret missing', 'invalid_request'],
    [43002, 'require POST method', 'invalid_request'],
    [45009, 'reach max api daily quota limit', 'quota_exceeded'],
    [45011, 'api minute-quota reach limit  mustslower  retry next minute', 'rate_limited'],
    [89503, 'need admin confirmation', 'ip_not_allowed'],
    [89506, 'rejected twice', 'ip_not_allowed'],
    [89507, 'rejected once', 'ip_not_allowed'],
  ],
  getPhoneNumber: [
    [-1, 'system error', 'busy'],
    [40029, 'invalid code', 'invalid_code'],
    [45011, 'api minute-quota reach limit  mustslower  retry next minute', 'rate_limited'],
    [40013, 'invalid appid', 'invalid_code'],
    [47001, 'data format error', 'invalid_request'],
    [40001, 'invalid credential, access_token is invalid or not latest', 'token_invalid'],
    [42001, 'access_token expired', 'token_invalid'],
    [400081, 'no permission', 'permission_denied'],
  ],
  checkSessionKey: [
    [-1, 'system error', 'busy'],
    [40001, 'invalid credential, access_token is invalid or not latest', 'token_invalid'],
    [42001, 'access_token expired', 'token_invalid'],
    [87008, 'invalid sig_method', 'invalid_request'],
  ],
  resetUserSessionKey: [
    [-1, 'system error', 'busy'],
    [40097, 'invalid args', 'invalid_request'],
    [45011, 'api minute-quota reach limit  mustslower  retry next minute', 'rate_limited'],
    [87007, 'session_key is not existd or expired', 'session_key_invalid'],
    [87008, 'invalid sig_method', 'invalid_request'],
    [87009, 'invalid signature', 'session_key_invalid'],
    [40001, 'invalid credential, access_token is invalid or not latest', 'token_invalid'],
  ],
  msgSecCheck: [
    [-1, 'system error', 'busy'],
    [40001, 'invalid credential, access_token is invalid or not latest', 'token_invalid'],
    [40003, 'invalid openid', 'invalid_openid'],
    [40129, 'invalid scene', 'invalid_request'],
    [43002, 'require POST method', 'invalid_request'],
    [43104, 'appid does not match openid', 'invalid_openid'],
    [44002, 'empty post data', 'invalid_request'],
    [44991, 'reach max api minute quota limit', 'rate_limited'],
    [45009, 'reach max api daily quota limit', 'quota_exceeded'],
    [47001, 'data format error', 'invalid_request'],
    [61010, 'code is expired', 'user_inactive'],
  ],
  // wechat-api.md §7.2's list.
  mediaCheckAsync: [
    [-1, 'system error', 'busy'],
    [40001, 'invalid credential, access_token is invalid or not latest', 'token_invalid'],
    [40003, 'invalid openid', 'invalid_openid'],
    [40004, 'invalid media type', 'invalid_request'],
    [43104, 'appid and openid not match', 'invalid_openid'],
    [44991, 'exceed url frequency limit', 'rate_limited'],
    [45009, 'reach max api daily quota limit', 'quota_exceeded'],
    [61010, 'code is expired', 'user_inactive'],
    [87020, 'repeat request limit', 'rate_limited'],
  ],
  // wechat-api.md §18's table.
  getUserRiskRank: [
    [-1, 'system error', 'busy'],
    [40001, 'invalid credential, access_token is invalid or not latest', 'token_invalid'],
    [40003, 'invalid openid', 'invalid_openid'],
    [40129, 'invalid scene', 'invalid_request'],
    [43104, 'appid and openid not match', 'invalid_openid'],
    [44002, 'empty post data', 'invalid_request'],
    [47001, 'data format error', 'invalid_request'],
    [48001, 'api unauthorized', 'permission_denied'],
    [61010, 'code is expired', 'user_inactive'],
    [9410009, 'test quota reached', 'quota_exceeded'],
  ],
  // wechat-api.md §19.1's table; 45009 is the per-minute limit despite its errmsg.
  getUnlimitedQRCode: [
    [-1, 'system error', 'busy'],
    [40001, 'invalid credential, access_token is invalid or not latest', 'token_invalid'],
    [40097, 'invalid args', 'invalid_request'],
    [40129, 'invalid scene', 'invalid_request'],
    [40169, 'invalid length for scene, or the data is not json string', 'invalid_request'],
    [41030, 'invalid page', 'invalid_request'],
    [45009, 'reach max api daily quota limit', 'rate_limited'],
    [47001, 'data format error', 'invalid_request'],
    [48001, 'api unauthorized', 'permission_denied'],
    [85096, 'not allow include scancode_time field', 'invalid_request'],
  ],
};

const PATHS: Record<WeChatApi, string> = {
  code2Session: '/sns/jscode2session',
  getAccessToken: '/cgi-bin/token',
  getStableAccessToken: '/cgi-bin/stable_token',
  getPhoneNumber: '/wxa/business/getuserphonenumber',
  checkSessionKey: '/wxa/checksession',
  resetUserSessionKey: '/wxa/resetusersessionkey',
  msgSecCheck: '/wxa/msg_sec_check',
  mediaCheckAsync: '/wxa/media_check_async',
  getUserRiskRank: '/wxa/getuserriskrank',
  getUnlimitedQRCode: '/wxa/getwxacodeunlimit',
};

const credentials = { appid: SAMPLE.appid, secret: SAMPLE.secret };
const tokenCall = { accessToken: SAMPLE.accessToken, appid: SAMPLE.appid };

function invoke(client: WeChatClient, api: WeChatApi): Promise<unknown> {
  switch (api) {
    case 'code2Session':
      return client.code2Session({ ...credentials, code: SAMPLE.loginCode });
    case 'getAccessToken':
      return client.getAccessToken(credentials);
    case 'getStableAccessToken':
      return client.getStableAccessToken(credentials);
    case 'getPhoneNumber':
      return client.getPhoneNumber({ ...tokenCall, code: SAMPLE.phoneCode });
    case 'checkSessionKey':
      return client.checkSessionKey({ ...tokenCall, openid: SAMPLE.openid, sessionKey: SAMPLE.sessionKey });
    case 'resetUserSessionKey':
      return client.resetUserSessionKey({ ...tokenCall, openid: SAMPLE.openid, sessionKey: SAMPLE.sessionKey });
    case 'msgSecCheck':
      return client.msgSecCheck({ ...tokenCall, openid: SAMPLE.openid, content: 'hello', scene: 2 });
    case 'mediaCheckAsync':
      return client.mediaCheckAsync({
        ...tokenCall,
        openid: SAMPLE.openid,
        mediaUrl: 'https://cdn.example.com/a.png',
        mediaType: 2,
        scene: 1,
      });
    case 'getUserRiskRank':
      return client.getUserRiskRank({ ...tokenCall, openid: SAMPLE.openid, scene: 0, clientIp: '203.0.113.7' });
    case 'getUnlimitedQRCode':
      return client.getUnlimitedQRCode({ ...tokenCall, scene: 'abc123', page: 'pages/qr-login/confirm' });
  }
}

describe('WeChatClient documented errors', () => {
  let fake: FakeWeChat;
  let client: WeChatClient;

  before(async () => {
    fake = await FakeWeChat.start();
    // One attempt: retries have their own tests; here every errcode must surface as is.
    client = new WeChatClient({ baseUrl: fake.url, retry: { attempts: 1 } });
  });
  after(async () => {
    await client.close();
    await fake.close();
  });

  for (const [api, rows] of Object.entries(DOCUMENTED) as [WeChatApi, Row[]][]) {
    describe(api, () => {
      for (const [errcode, text, category] of rows) {
        it(`errcode ${errcode} (${text}) → ${category}`, async () => {
          fake.script(PATHS[api], wechatError(errcode, text));
          await assert.rejects(invoke(client, api), (err: unknown) => {
            assert.ok(err instanceof WeChatApiError, `expected WeChatApiError, got ${String(err)}`);
            assert.equal(err.api, api);
            assert.equal(err.appid, SAMPLE.appid);
            assert.equal(err.errcode, errcode);
            assert.equal(err.errmsg, `${text}, rid: ${RID}`);
            assert.equal(err.rid, RID);
            assert.equal(err.category, category);
            assert.match(
              err.message,
              new RegExp(`^WeChat ${api} for appid ${SAMPLE.appid} failed with errcode ${errcode} \\(`),
            );
            assert.ok(err.message.includes(err.meaning));
            return true;
          });
        });
      }
    });
  }

  describe('checkSessionKey', () => {
    for (const [errcode, text] of [
      [87009, 'invalid signature'],
      [87007, 'session_key is not existd or expired'],
    ] as const) {
      it(`errcode ${errcode} (${text}) resolves false: the key is stale`, async () => {
        fake.script(PATHS.checkSessionKey, wechatError(errcode, text));
        assert.equal(await invoke(client, 'checkSessionKey'), false);
      });
    }
  });

  it('an undocumented errcode keeps its number, category unknown', async () => {
    fake.script(PATHS.code2Session, wechatError(99999, 'something new'));
    await assert.rejects(invoke(client, 'code2Session'), (err: WeChatApiError) => {
      assert.equal(err.errcode, 99999);
      assert.equal(err.category, 'unknown');
      return true;
    });
  });

  it('the category getters agree with the category', async () => {
    const cases: [WeChatApi, number, keyof WeChatApiError][] = [
      ['code2Session', -1, 'isBusy'],
      ['code2Session', 40029, 'isInvalidCode'],
      ['code2Session', 40226, 'isCodeBlocked'],
      ['code2Session', 45011, 'isRateLimited'],
      ['getAccessToken', 45009, 'isQuotaExceeded'],
      ['getPhoneNumber', 42001, 'isTokenInvalid'],
      ['getAccessToken', 40164, 'isConfigurationError'],
      ['getAccessToken', 40001, 'isConfigurationError'],
      ['resetUserSessionKey', 87009, 'isSessionKeyInvalid'],
    ];
    for (const [api, errcode, getter] of cases) {
      fake.script(PATHS[api], wechatError(errcode, 'x'));
      await assert.rejects(invoke(client, api), (err: WeChatApiError) => err[getter] === true);
    }
    fake.script(PATHS.getAccessToken, wechatError(40001, 'invalid credential'));
    await assert.rejects(
      invoke(client, 'getAccessToken'),
      (err: WeChatApiError) => !err.isTokenInvalid,
      '40001 at the token endpoint is a wrong secret, not a token to refresh',
    );
  });
});
