import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { freePort } from '../../src/cli/free-port.ts';
import {
  configErrorText,
  configProblemZh,
  localeLanguage,
  parseLanguage,
  setCliLanguage,
} from '../../src/cli/locale.ts';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { bin } from '../helpers/dev-process.ts';
import { vectors } from '../helpers/vectors.ts';

/** Issue 14: the CLI's own messages follow the system locale or --lang. */

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weapp-auth-locale-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** `weapp-auth <args>` as a child process, in an empty directory, with only PATH and `env`. */
function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the CLI language', () => {
  it('reads LC_ALL, then LC_MESSAGES, then LANG: the first one set decides', () => {
    assert.equal(localeLanguage({ LANG: 'zh_CN.UTF-8' }), 'zh');
    assert.equal(localeLanguage({ LANG: 'zh_TW.Big5' }), 'zh');
    assert.equal(localeLanguage({ LC_MESSAGES: 'zh_CN', LANG: 'en_US.UTF-8' }), 'zh');
    assert.equal(localeLanguage({ LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }), 'en');
    assert.equal(localeLanguage({ LC_ALL: '', LANG: 'zh_CN.UTF-8' }), 'zh');
    for (const env of [{}, { LANG: 'C.UTF-8' }, { LANG: 'POSIX' }, { LANG: 'en_GB' }, { LANG: 'zhx' }]) {
      assert.equal(localeLanguage(env), 'en', JSON.stringify(env));
    }
    assert.deepEqual(['zh', 'ZH-cn', 'en', 'en_US', 'fr', ''].map(parseLanguage), [
      'zh',
      'zh',
      'en',
      'en',
      undefined,
      undefined,
    ]);
  });

  it('property: any locale value gives a language without throwing', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (all, lang) =>
        ['en', 'zh'].includes(localeLanguage({ LC_ALL: all, LANG: lang })),
      ),
    );
  });

  it('has Chinese for the configuration problems a first start meets', () => {
    const problems = (env: Record<string, string>): readonly string[] => {
      try {
        loadConfig(env);
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    };
    const seen = [
      ...problems({}),
      ...problems({
        WEAPP_APPS:
          'wx123:short,wx4f4bc4dec97d474b:a1b2c3d4e5f60718293a4b5c6d7e8f90,wx4f4bc4dec97d474b:a1b2c3d4e5f60718293a4b5c6d7e8f90',
        WEAPP_SECRET_KEY: 'too-short',
        DATABASE_URL: 'mysql://root@localhost/x',
        REDIS_URL: 'http://x',
        LOG_LEVEL: 'loud',
        PORT: '99999',
        WECHAT_API_BASE: 'ftp://x',
        METRICS_TOKEN: 'short',
      }),
    ];
    assert.ok(seen.length >= 10, seen.join('\n'));
    for (const problem of seen) assert.match(configProblemZh(problem), /[\u4e00-\u9fff]/, `no Chinese for: ${problem}`);
    setCliLanguage('en');
    assert.equal(configErrorText(seen), new ConfigError([...seen]).message);
  });

  it('says configuration problems in Chinese under a zh locale, in English otherwise (exit 2 both)', () => {
    const zh = cli(['migrate'], { LANG: 'zh_CN.UTF-8', DATABASE_URL: 'mysql://root@localhost/x' });
    assert.equal(zh.code, 2, zh.stderr);
    assert.match(zh.stderr, /^配置有误：\n {2}- DATABASE_URL 必须是 postgres:/);
    assert.match(zh.stderr, /不支持 "mysql:"/);
    const en = cli(['migrate'], { LANG: 'en_US.UTF-8', DATABASE_URL: 'mysql://root@localhost/x' });
    assert.equal(en.code, 2);
    assert.match(en.stderr, /^Invalid configuration:\n {2}- DATABASE_URL must be postgres:/);
    const serve = cli(['serve'], { LC_MESSAGES: 'zh_CN.UTF-8' });
    assert.equal(serve.code, 2);
    assert.match(serve.stderr, /缺少 WEAPP_APPS/);
    assert.match(serve.stderr, /缺少 WEAPP_SECRET_KEY/);
  });

  it('takes --lang over the locale, and refuses a language it does not speak', () => {
    const zh = cli(['--lang', 'zh', 'migrate'], { LANG: 'en_US.UTF-8', DATABASE_URL: 'mysql://x' });
    assert.match(zh.stderr, /^配置有误：/);
    const en = cli(['migrate', '--lang', 'en'], { LC_ALL: 'zh_CN.UTF-8', DATABASE_URL: 'mysql://x' });
    assert.match(en.stderr, /^Invalid configuration:/);
    const fr = cli(['--lang', 'fr', 'migrate'], {});
    assert.equal(fr.code, 2);
    assert.match(fr.stderr, /--lang must be zh or en/);
  });

  it('says an unreachable database in Chinese', async () => {
    const port = await freePort();
    const r = cli(['migrate'], { LANG: 'zh_CN.UTF-8', DATABASE_URL: `postgres://u:Secr3tPw@127.0.0.1:${port}/x` });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^无法打开数据库（DATABASE_URL）：.*请检查它是否在运行/m);
    assert.doesNotMatch(r.stderr, /Secr3tPw/);
  });

  it('explains a decryption failure in Chinese', () => {
    const v = vectors.decrypt;
    const args = ['decrypt', '--session-key', 'HyVFkGl5F5OQWJZZaNzBBg==', '--iv', v.iv, '--data', v.encryptedData];
    const zh = cli(args, { LANG: 'zh_CN.UTF-8' });
    assert.equal(zh.code, 1);
    assert.match(zh.stderr, /^DECRYPT_FAILED：无法用这个 session_key 解密 encryptedData。/m);
    assert.match(zh.stderr, /^可能的原因：.*wx\.login/m);
    const en = cli(args, { LANG: 'C' });
    assert.match(en.stderr, /^likely cause: /m);
  });
});
