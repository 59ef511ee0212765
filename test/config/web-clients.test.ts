import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

const base = {
  WEAPP_APPS: `wx4f4bc4dec97d474b:${'a'.repeat(32)}`,
  WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.problems];
  }
  assert.fail('expected a ConfigError');
}

describe('WEB_CLIENTS and QR_LOGIN_*', () => {
  it('reads clients, their origins and names; defaults for scan-to-login; frozen', () => {
    const c = loadConfig({
      ...base,
      WEB_CLIENTS: 'admin:https://Admin.example.com|http://localhost:5173, shop:https://shop.example.com:8443',
      WEB_CLIENT_NAMES: 'admin:运营后台',
    });
    assert.deepEqual(c.webClients, [
      { id: 'admin', name: '运营后台', origins: ['https://admin.example.com', 'http://localhost:5173'] },
      { id: 'shop', name: 'shop', origins: ['https://shop.example.com:8443'] },
    ]);
    assert.ok(Object.isFrozen(c.webClients) && Object.isFrozen(c.webClients[0]?.origins));
    assert.deepEqual(c.qrLogin, {
      ttlSeconds: 120,
      page: 'pages/qr-login/confirm',
      envVersion: 'release',
      checkPath: true,
      ratePerIpPerMinute: 10,
      codesPerMinute: 4000,
      maxOutstanding: 10_000,
      placeHeader: undefined,
    });
    assert.deepEqual(loadConfig(base).webClients, []);
  });

  it('says what to fix in each bad entry', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ WEB_CLIENTS: 'admin' }, /WEB_CLIENTS entry 1 must be clientId:https:\/\/origin/],
      [{ WEB_CLIENTS: 'admin:https://a.example.com/' }, /not an origin; write it as the browser sends it/],
      [{ WEB_CLIENTS: 'admin:https://a.example.com/login' }, /not an origin/],
      [{ WEB_CLIENTS: 'admin:ftp://a.example.com' }, /not an origin/],
      [{ WEB_CLIENTS: 'wx4f4bc4dec97d474b:https://a.example.com' }, /looks like an appid/],
      [{ WEB_CLIENTS: 'a:https://a.example.com,a:https://b.example.com' }, /lists a twice/],
      [
        { WEB_CLIENTS: 'a:https://a.example.com', WEB_CLIENT_NAMES: 'b:Bee' },
        /names b, which WEB_CLIENTS does not list/,
      ],
      [{ WEB_CLIENT_NAMES: 'nameless' }, /WEB_CLIENT_NAMES entry 1 must be clientId:Name/],
      [{ QR_LOGIN_TTL_SECONDS: '301' }, /QR_LOGIN_TTL_SECONDS must be a whole number between 10 and 300/],
      [{ QR_LOGIN_PAGE: '/pages/a' }, /QR_LOGIN_PAGE must be a page path as in app.json, without a leading "\/"/],
      [{ QR_LOGIN_PAGE: 'pages/a?x=1' }, /QR_LOGIN_PAGE/],
      [{ QR_LOGIN_ENV_VERSION: 'beta' }, /QR_LOGIN_ENV_VERSION must be one of release, trial, develop/],
      [{ QR_LOGIN_CHECK_PATH: 'no' }, /QR_LOGIN_CHECK_PATH must be one of true, false/],
      [{ QR_LOGIN_CODES_PER_MINUTE: '5001' }, /QR_LOGIN_CODES_PER_MINUTE must be a whole number between 1 and 5000/],
      [{ QR_LOGIN_PLACE_HEADER: 'x geo' }, /QR_LOGIN_PLACE_HEADER must be a header name/],
    ];
    for (const [env, expected] of cases) {
      const found = problems(env);
      assert.ok(
        found.some((p) => expected.test(p)),
        `${JSON.stringify(env)} → ${found.join(' | ')}`,
      );
    }
  });

  it('never throws anything but a ConfigError, whatever WEB_CLIENTS holds', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (clients, names) => {
        try {
          const c = loadConfig({ ...base, WEB_CLIENTS: clients, WEB_CLIENT_NAMES: names });
          for (const client of c.webClients) {
            assert.match(client.id, /^[A-Za-z0-9_.-]{1,64}$/);
            for (const origin of client.origins) assert.match(origin, /^https?:\/\/[a-z0-9.-]+(:\d+)?$/);
          }
        } catch (err) {
          assert.ok(err instanceof ConfigError, String(err));
        }
      }),
    );
  });
});
