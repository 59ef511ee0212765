import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseAppSpec, parseAppSpecs } from '../../src/emulator/app-specs.ts';
import { WechatClient } from './helpers.ts';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));

describe('app specs (--app, EMULATOR_APPS)', () => {
  it('reads appid:secret and appid:secret:openPlatform', () => {
    assert.deepEqual(parseAppSpec('wx4f4bc4dec97d474b:s3cret'), { appid: 'wx4f4bc4dec97d474b', secret: 's3cret' });
    assert.deepEqual(parseAppSpec(' wx1:s:acme '), { appid: 'wx1', secret: 's', openPlatform: 'acme' });
    assert.deepEqual(parseAppSpecs('wx1:a, wx2:b:p\nwx3:c'), [
      { appid: 'wx1', secret: 'a' },
      { appid: 'wx2', secret: 'b', openPlatform: 'p' },
      { appid: 'wx3', secret: 'c' },
    ]);
    assert.deepEqual(parseAppSpecs(undefined), []);
    assert.deepEqual(parseAppSpecs(' , '), []);
  });

  it('refuses malformed entries without repeating the secret', () => {
    for (const spec of ['wx1', 'wx1:', ':secret', 'wx1:s:', 'wx1:s:p:extra']) {
      assert.throws(() => parseAppSpec(spec), TypeError, spec);
    }
    assert.throws(
      () => parseAppSpec('wx1:topsecret:p:x'),
      (err: Error) => !err.message.includes('topsecret'),
    );
  });

  it('round-trips any well-formed list', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
    const app = fc.record({ appid: part, secret: part, openPlatform: fc.option(part, { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(app, { maxLength: 5 }), fc.constantFrom(',', ' ', ', ', '\n'), (apps, sep) => {
        const text = apps.map((a) => [a.appid, a.secret, a.openPlatform].filter(Boolean).join(':')).join(sep);
        const expected = apps.map((a) => ({
          appid: a.appid,
          secret: a.secret,
          ...(a.openPlatform !== undefined && { openPlatform: a.openPlatform }),
        }));
        assert.deepEqual(parseAppSpecs(text), expected);
      }),
    );
  });
});

describe('weapp-auth emulator', () => {
  it('serves the apps given by flag and EMULATOR_APPS, and prints its URL', async (t) => {
    const child = spawn(
      process.execPath,
      [bin, 'emulator', '--port', '0', '--app', 'wx00000000000000a1:flag-secret', '--quiet'],
      {
        env: { ...process.env, EMULATOR_APPS: 'wx00000000000000a2:env-secret:acme' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    t.after(() => child.kill('SIGTERM'));
    const lines = createInterface({ input: child.stdout });
    let url: string | undefined;
    for await (const line of lines) {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        url = match[1];
        break;
      }
    }
    assert.ok(url, 'no URL printed');
    const wx = new WechatClient(url);
    assert.ok((await wx.token({ appid: 'wx00000000000000a1', secret: 'flag-secret' })).body.access_token);
    assert.ok((await wx.token({ appid: 'wx00000000000000a2', secret: 'env-secret' })).body.access_token);
    assert.equal((await wx.token({ appid: 'wx00000000000000a3', secret: 'x' })).body.errcode, 40013);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  it('refuses a bad --rotation', async () => {
    const child = spawn(process.execPath, [bin, 'emulator', '--port', '0', '--rotation', 'often'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(out, /--rotation must be one of always, never, sometimes/);
  });

  it('refuses a malformed --app without echoing its secret (regression: commander printed the value)', async () => {
    const child = spawn(process.execPath, [bin, 'emulator', '--port', '0', '--app', 'not-an-app-TOPSECRET'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      out += String(chunk);
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(out, /error: --app: /);
    assert.doesNotMatch(out, /TOPSECRET/);
  });
});
