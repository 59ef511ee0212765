import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

const secret = 'a'.repeat(32);
const key = randomBytes(32).toString('base64');
const base = { WEAPP_APPS: `wx4f4bc4dec97d474b:${secret}`, WEAPP_SECRET_KEY: key };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.problems];
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a minimal environment with defaults, frozen', () => {
    const c = loadConfig(base);
    assert.deepEqual(c.apps, [{ appid: 'wx4f4bc4dec97d474b', secret }]);
    assert.equal(c.defaultAppid, 'wx4f4bc4dec97d474b');
    assert.equal(c.databaseUrl, 'sqlite:./data/weapp-auth.db');
    assert.equal(c.wechatApiBase, 'https://api.weixin.qq.com');
    assert.equal(c.port, 3000);
    assert.equal(c.accessTokenTtlSeconds, 7200);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.apps));
  });

  it('reads several apps and the optional settings', () => {
    const c = loadConfig({
      ...base,
      WEAPP_APPS: `wx4f4bc4dec97d474b:${secret}, wx0123456789abcdef:${'b'.repeat(32)}`,
      DATABASE_URL: 'postgres://u@db/x',
      REDIS_URL: 'redis://cache:6379',
      WECHAT_API_BASE: 'http://127.0.0.1:9300/',
      PORT: '8080',
      ACCESS_TOKEN_TTL: '900',
    });
    assert.deepEqual(
      c.apps.map((a) => a.appid),
      ['wx4f4bc4dec97d474b', 'wx0123456789abcdef'],
    );
    assert.equal(c.wechatApiBase, 'http://127.0.0.1:9300');
    assert.equal(c.port, 8080);
    assert.equal(c.accessTokenTtlSeconds, 900);
    assert.equal(c.redisUrl, 'redis://cache:6379');
  });

  it('lists every problem at once, each saying what to fix, never echoing a secret', () => {
    const found = problems({
      WEAPP_APPS: 'wx4f4bc4dec97d474b:tooshort',
      WEAPP_SECRET_KEY: 'abc',
      PORT: 'eighty',
      REDIS_URL: 'localhost',
    });
    assert.equal(found.length, 4);
    assert.match(found[0] ?? '', /WEAPP_APPS entry 1 must be appid:secret/);
    assert.ok(!found.join('\n').includes('tooshort'));
    assert.match(found.join('\n'), /WEAPP_SECRET_KEY must be 32 bytes/);
    assert.match(found.join('\n'), /PORT must be a whole number between 0 and 65535 \(got "eighty"\)/);
    assert.match(found.join('\n'), /REDIS_URL must start with redis:\/\//);
  });

  it('requires the apps and the secret key, with the way to get them', () => {
    const found = problems({});
    assert.match(found.join('\n'), /WEAPP_APPS is required/);
    assert.match(found.join('\n'), /WEAPP_SECRET_KEY is required: .*openssl rand -base64 32/);
  });

  it('reads the user-details settings, with defaults that need no WeChat permission', () => {
    const d = loadConfig(base);
    assert.equal(d.avatarDir, './data/avatars');
    assert.equal(d.avatarMaxBytes, 2 * 1024 * 1024);
    assert.equal(d.avatarField, 'file');
    assert.equal(d.publicUrl, 'http://127.0.0.1:3000');
    assert.equal(d.contentCheck, 'off');
    assert.equal(d.contentCheckFailure, 'open');
    assert.equal(d.phoneLinkPolicy, 'off');
    const c = loadConfig({
      ...base,
      AVATAR_DIR: '/var/lib/weapp-auth/avatars',
      AVATAR_MAX_BYTES: '1048576',
      AVATAR_FIELD: 'avatar',
      PUBLIC_URL: 'https://auth.example.com/',
      CONTENT_CHECK: 'on',
      CONTENT_CHECK_FAILURE: 'closed',
      PHONE_LINK_POLICY: 'link',
    });
    assert.deepEqual(
      [
        c.avatarDir,
        c.avatarMaxBytes,
        c.avatarField,
        c.publicUrl,
        c.contentCheck,
        c.contentCheckFailure,
        c.phoneLinkPolicy,
      ],
      ['/var/lib/weapp-auth/avatars', 1048576, 'avatar', 'https://auth.example.com', 'on', 'closed', 'link'],
    );
    const found = problems({
      ...base,
      AVATAR_MAX_BYTES: '10',
      AVATAR_FIELD: 'my file',
      PUBLIC_URL: 'auth.example.com',
      CONTENT_CHECK: 'yes',
      CONTENT_CHECK_FAILURE: 'ignore',
      PHONE_LINK_POLICY: 'merge',
    });
    assert.equal(found.length, 6);
    assert.match(found.join('\n'), /AVATAR_MAX_BYTES must be a whole number between 1024 and 20971520/);
    assert.match(found.join('\n'), /AVATAR_FIELD must be 1-64 letters/);
    assert.match(found.join('\n'), /PUBLIC_URL must be an http\(s\) URL/);
    assert.match(found.join('\n'), /CONTENT_CHECK must be one of off, on \(got "yes"\)/);
    assert.match(found.join('\n'), /CONTENT_CHECK_FAILURE must be one of open, closed/);
    assert.match(found.join('\n'), /PHONE_LINK_POLICY must be one of off, link/);
  });

  it('refuses a duplicated appid', () => {
    assert.match(
      problems({ ...base, WEAPP_APPS: `wx4f4bc4dec97d474b:${secret},wx4f4bc4dec97d474b:${secret}` }).join(),
      /twice/,
    );
  });
});
