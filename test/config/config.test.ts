import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { writerThread } from '../../src/server/services.ts';

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

  it('DB_PREPARED_STATEMENTS is on unless set to off', () => {
    assert.equal(loadConfig(base).dbPreparedStatements, 'on');
    assert.equal(loadConfig({ ...base, DB_PREPARED_STATEMENTS: 'off' }).dbPreparedStatements, 'off');
    const found = problems({ ...base, DB_PREPARED_STATEMENTS: 'false' });
    assert.equal(found.length, 1);
    assert.match(found[0] ?? '', /DB_PREPARED_STATEMENTS must be one of on, off \(got "false"\)/);
  });

  it('DB_WRITER_THREAD is auto unless set to on or off; auto gives a single process on four cores or more the thread', () => {
    assert.equal(loadConfig(base).dbWriterThread, 'auto');
    assert.equal(loadConfig({ ...base, DB_WRITER_THREAD: 'off' }).dbWriterThread, 'off');
    assert.match(
      problems({ ...base, DB_WRITER_THREAD: 'yes' }).join('\n'),
      /DB_WRITER_THREAD must be one of auto, on, off/,
    );
    assert.equal(writerThread('on'), true);
    assert.equal(writerThread('off'), false);
    // This test runs in a primary process.
    assert.equal(writerThread('auto'), availableParallelism() >= 2);
  });

  it('SIGNUP_RISK_MAX_RANK is off unless set to 0-4; SIGNUP_RISK_FAILURE open or closed', () => {
    const d = loadConfig(base);
    assert.equal(d.signupRiskMaxRank, undefined);
    assert.equal(d.signupRiskFailure, 'open');
    for (const rank of [0, 2, 4])
      assert.equal(loadConfig({ ...base, SIGNUP_RISK_MAX_RANK: String(rank) }).signupRiskMaxRank, rank);
    assert.equal(loadConfig({ ...base, SIGNUP_RISK_FAILURE: 'closed' }).signupRiskFailure, 'closed');
    const found = problems({ ...base, SIGNUP_RISK_MAX_RANK: '5', SIGNUP_RISK_FAILURE: 'deny' }).join('\n');
    assert.match(found, /SIGNUP_RISK_MAX_RANK must be a whole number between 0 and 4 \(got "5"\)/);
    assert.match(found, /SIGNUP_RISK_FAILURE must be one of open, closed/);
    assert.match(problems({ ...base, SIGNUP_RISK_MAX_RANK: 'high' }).join('\n'), /SIGNUP_RISK_MAX_RANK/);
  });

  describe('media storage', () => {
    const s3 = {
      MEDIA_STORE: 's3',
      S3_ENDPOINT: 'https://cos.ap-guangzhou.myqcloud.com/',
      S3_BUCKET: 'avatars-1250000000',
      S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      S3_PUBLIC_URL: 'https://cdn.example.com/',
    };

    it('is the local directory by default', () => {
      const c = loadConfig(base);
      assert.equal(c.mediaStore, 'local');
      assert.equal(c.s3, undefined);
    });

    it('reads S3 settings, with defaults, frozen', () => {
      const c = loadConfig({ ...base, ...s3 });
      assert.equal(c.mediaStore, 's3');
      assert.deepEqual(c.s3, {
        endpoint: 'https://cos.ap-guangzhou.myqcloud.com',
        bucket: 'avatars-1250000000',
        region: 'us-east-1',
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: s3.S3_SECRET_ACCESS_KEY,
        publicUrl: 'https://cdn.example.com',
        pathStyle: undefined,
        keyPrefix: 'avatars/',
      });
      assert.ok(Object.isFrozen(c.s3));
      const d = loadConfig({
        ...base,
        ...s3,
        S3_REGION: 'ap-guangzhou',
        S3_PATH_STYLE: 'true',
        S3_KEY_PREFIX: 'prod/avatars/',
      });
      assert.deepEqual([d.s3?.region, d.s3?.pathStyle, d.s3?.keyPrefix], ['ap-guangzhou', true, 'prod/avatars/']);
      assert.equal(loadConfig({ ...base, ...s3, S3_PATH_STYLE: 'false', S3_KEY_PREFIX: '/' }).s3?.keyPrefix, '');
    });

    it('lists what S3 needs, saying what each is for', () => {
      const found = problems({ ...base, MEDIA_STORE: 's3' });
      assert.deepEqual(
        found.map((p) => p.split(' ')[0]),
        ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_PUBLIC_URL'],
      );
      assert.match(found.join('\n'), /S3_PUBLIC_URL is required with MEDIA_STORE=s3: where clients download avatars/);
      assert.match(
        problems({ ...base, MEDIA_STORE: 'cos' }).join(),
        /MEDIA_STORE must be one of local, s3 \(got "cos"\)/,
      );
    });

    it('refuses bad values without echoing URLs or credentials', () => {
      const secret = 'my secret\n';
      const found = problems({
        ...base,
        ...s3,
        S3_ENDPOINT: 'https://user:pa55word@s3.example.com',
        S3_BUCKET: 'My_Bucket',
        S3_REGION: 'Guangzhou!',
        S3_ACCESS_KEY_ID: 'AK ID',
        S3_SECRET_ACCESS_KEY: secret,
        S3_PUBLIC_URL: 'cdn.example.com?x=1',
        S3_PATH_STYLE: 'yes',
        S3_KEY_PREFIX: '../avatars/',
      });
      assert.equal(found.length, 8, found.join('\n'));
      const text = found.join('\n');
      assert.match(text, /S3_ENDPOINT must be an http\(s\) URL without credentials, query or fragment/);
      assert.match(text, /S3_BUCKET must be a bucket name/);
      assert.match(text, /S3_REGION must be a region name/);
      assert.match(text, /S3_ACCESS_KEY_ID must be printable ASCII without spaces/);
      assert.match(text, /S3_SECRET_ACCESS_KEY must be printable ASCII without spaces/);
      assert.match(text, /S3_PUBLIC_URL must be an http\(s\) URL/);
      assert.match(text, /S3_PATH_STYLE must be true or false \(got "yes"\)/);
      assert.match(text, /S3_KEY_PREFIX must be path segments/);
      for (const leak of ['pa55word', 'my secret', 'AK ID', 'x=1']) assert.ok(!text.includes(leak), leak);
    });

    it('refuses S3 settings while MEDIA_STORE is local, rather than filling the disk', () => {
      const { MEDIA_STORE: _, ...withoutStore } = s3;
      const found = problems({ ...base, ...withoutStore });
      assert.equal(found.length, 1);
      assert.match(found[0] ?? '', /^S3_ENDPOINT, S3_BUCKET, .* set but MEDIA_STORE is local: set MEDIA_STORE=s3/);
      assert.ok(!found[0]?.includes(s3.S3_SECRET_ACCESS_KEY));
    });
  });

  it('takes a METRICS_TOKEN of at least 16 characters', () => {
    assert.equal(loadConfig({ ...base, METRICS_TOKEN: 'x'.repeat(16) }).metricsToken, 'x'.repeat(16));
    assert.equal(loadConfig(base).metricsToken, undefined);
    assert.match(problems({ ...base, METRICS_TOKEN: 'short' }).join(), /METRICS_TOKEN must be at least 16 characters/);
  });

  it('reads the previous secret keys of a rotation, each checked', () => {
    const old = randomBytes(32).toString('hex');
    assert.deepEqual(loadConfig({ ...base, WEAPP_SECRET_KEY_PREVIOUS: ` ${old} ` }).previousSecretKeys, [old]);
    assert.deepEqual(loadConfig(base).previousSecretKeys, []);
    const found = problems({ ...base, WEAPP_SECRET_KEY_PREVIOUS: `${old},nope` }).join();
    assert.match(found, /WEAPP_SECRET_KEY_PREVIOUS entry 2 must be 32 bytes/);
    assert.ok(!found.includes(old));
  });

  describe('TRUST_PROXY', () => {
    const trust = (value: string) => loadConfig({ ...base, TRUST_PROXY: value }).trustProxy;

    it('trusts no proxy by default, or when false or 0', () => {
      assert.equal(loadConfig(base).trustProxy, false);
      assert.equal(trust('false'), false);
      assert.equal(trust('0'), false);
      assert.equal(trust(' '), false);
    });

    it('reads a hop count: 1 is one proxy in front (it no longer means true)', () => {
      assert.equal(trust('1'), 1);
      assert.equal(trust('2'), 2);
    });

    it('reads addresses and CIDR ranges, IPv4 and IPv6, and the named ranges, frozen', () => {
      const list = trust('127.0.0.1, 10.0.0.0/8,fd00::/8,::1,loopback');
      assert.deepEqual(list, ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback']);
      assert.ok(Object.isFrozen(list));
    });

    // Issue 9: `true` believed every X-Forwarded-For hop, and a rate-limited client got 30 of 30
    // more logins through by writing its own.
    it('refuses true, and ranges holding every address, saying what to write instead', () => {
      for (const value of ['true', 'TRUE', '0.0.0.0/0', '10.0.0.1,::/0']) {
        const found = problems({ ...base, TRUST_PROXY: value });
        assert.equal(found.length, 1, value);
        assert.match(found[0] ?? '', /would believe every X-Forwarded-For hop, so any client could name its own IP/);
        assert.match(found[0] ?? '', /TRUST_PROXY=1 behind one nginx or load balancer/);
        assert.match(found[0] ?? '', /TRUST_PROXY=127\.0\.0\.1 for an nginx on this machine/);
      }
      assert.match(problems({ ...base, TRUST_PROXY: 'true' })[0] ?? '', /^TRUST_PROXY=true would believe/);
    });

    it('refuses what is neither a count nor addresses, naming each bad entry', () => {
      const found = problems({ ...base, TRUST_PROXY: 'yes' });
      assert.equal(found.length, 1);
      assert.match(found[0] ?? '', /^TRUST_PROXY must be the number of proxies in front of this server/);
      assert.match(found[0] ?? '', /; not an IP address or CIDR range: "yes"$/);
      const entries = problems({ ...base, TRUST_PROXY: '10.0.0.1,10.0.0.0/33,nginx,::1/129,1.2.3.4/8/8,' });
      assert.match(entries[0] ?? '', /: "10\.0\.0\.0\/33", "nginx", "::1\/129", "1\.2\.3\.4\/8\/8", ""$/);
      assert.match(problems({ ...base, TRUST_PROXY: '11' })[0] ?? '', /TRUST_PROXY counts .* at most 10 \(got "11"\)/);
    });
  });

  it('takes the AppSecret as WeChat issues it, 32 hexadecimal characters, and says so otherwise', () => {
    const issued = '0f3c3c2b1d6a4e0f9b8a7c6d5e4f3a2b';
    assert.equal(loadConfig({ ...base, WEAPP_APPS: `wx4f4bc4dec97d474b:${issued}` }).apps[0]?.secret, issued);
    assert.equal(
      loadConfig({ ...base, WEAPP_APPS: `wx4f4bc4dec97d474b:${issued.toUpperCase()}` }).apps[0]?.secret,
      issued.toUpperCase(),
    );
    // Too short, too long, not hex (a secret of another service pasted here, or one cut off).
    for (const bad of [issued.slice(0, 31), `${issued}0`, 'g'.repeat(32), `${issued.slice(0, 16)}`]) {
      const found = problems({ ...base, WEAPP_APPS: `wx4f4bc4dec97d474b:${bad}` });
      assert.deepEqual(found, [
        'WEAPP_APPS entry 1 must be appid:secret with appid "wx" + 16 letters or digits and the AppSecret, ' +
          '32 hexadecimal characters (mp.weixin.qq.com → 开发管理 → 开发设置)',
      ]);
    }
  });

  it('refuses a DATABASE_URL of a kind it cannot use, without echoing it', () => {
    const found = problems({ ...base, DATABASE_URL: 'mysql://weapp:hunter2@db:3306/weapp' });
    assert.deepEqual(found, [
      'DATABASE_URL must be postgres://user:password@host:5432/database (PostgreSQL) or sqlite:<path> (SQLite); "mysql:" is not supported',
    ]);
    assert.match(
      problems({ ...base, DATABASE_URL: 'sqlite:' })[0] ?? '',
      /^DATABASE_URL: A sqlite: URL needs a file path/,
    );
    for (const url of ['postgresql://u@db/x', 'sqlite::memory:', 'sqlite:/var/lib/weapp/auth.db', './auth.db']) {
      assert.equal(loadConfig({ ...base, DATABASE_URL: url }).databaseUrl, url);
    }
  });

  it('refuses a duplicated appid', () => {
    assert.match(
      problems({ ...base, WEAPP_APPS: `wx4f4bc4dec97d474b:${secret},wx4f4bc4dec97d474b:${secret}` }).join(),
      /twice/,
    );
  });
});
