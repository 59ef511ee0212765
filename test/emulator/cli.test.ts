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

const PUSH_APPID = 'wx00000000000000b1';
const PUSH_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** Runs `weapp-auth emulator --port 0 …args` to its end: the exit code and everything it printed. */
async function runToExit(args: string[]): Promise<{ code: number; out: string }> {
  const child = spawn(process.execPath, [bin, 'emulator', '--port', '0', ...args], {
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
  return { code: code as number, out };
}

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
    const { code, out } = await runToExit(['--rotation', 'often']);
    assert.equal(code, 1);
    assert.match(out, /--rotation must be one of always, never, sometimes/);
  });

  it('refuses a malformed --app without echoing its secret (regression: commander printed the value)', async () => {
    const { code, out } = await runToExit(['--app', 'not-an-app-TOPSECRET']);
    assert.equal(code, 1);
    assert.match(out, /error: --app: /);
    assert.doesNotMatch(out, /TOPSECRET/);
  });
});

describe('weapp-auth emulator --push, --media-check-*', () => {
  it('takes the push settings of EMULATOR_PUSH and --push, and says where it pushes', async (t) => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'emulator',
        '--port',
        '0',
        '--quiet',
        '--app',
        `${PUSH_APPID}:flag-secret`,
        '--push',
        `appid=${PUSH_APPID},url=http://127.0.0.1:9/wechat/push/${PUSH_APPID},token=cliToken01,aesKey=${PUSH_AES_KEY},format=xml`,
        '--media-check-verdict',
        'review',
        '--media-check-delay-ms',
        '0',
      ],
      {
        env: { ...process.env, EMULATOR_PUSH: 'appid=wx00000000000000b2,url=http://127.0.0.1:9/p,token=envToken02' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    t.after(() => child.kill('SIGTERM'));
    let url: string | undefined;
    const printed: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      printed.push(line);
      url ??= /listening on (http:\/\/\S+)/.exec(line)?.[1];
      if (line.includes('seed:')) break;
    }
    assert.ok(url, printed.join('\n'));
    assert.ok(
      printed.includes(`  message push: ${PUSH_APPID} → http://127.0.0.1:9/wechat/push/${PUSH_APPID} (safe, xml)`),
    );
    assert.ok(printed.includes('  message push: wx00000000000000b2 → http://127.0.0.1:9/p (plaintext, json)'));
    assert.doesNotMatch(printed.join('\n'), /cliToken01|envToken02/);
    const settings = (await (await fetch(`${url}/__emulator/push`)).json()) as { appid: string }[];
    assert.deepEqual(settings.map((s) => s.appid).sort(), [PUSH_APPID, 'wx00000000000000b2']);
    const policy = (await (await fetch(`${url}/__emulator/media-checks/policy`)).json()) as Record<string, unknown>;
    assert.deepEqual([policy.verdict, policy.delayMs], ['review', 0]);
    child.kill('SIGTERM');
    assert.equal((await once(child, 'exit'))[0], 0);
  });

  it('refuses a malformed --push without echoing its token, and a bad verdict', async () => {
    const push = await runToExit(['--push', `appid=${PUSH_APPID},url=http://h/p,token=no!TOPSECRET`]);
    assert.equal(push.code, 1);
    assert.match(push.out, /error: --push \/ EMULATOR_PUSH: token must be 3-32 letters and digits/);
    assert.doesNotMatch(push.out, /TOPSECRET/);
    const verdict = await runToExit(['--media-check-verdict', 'maybe']);
    assert.equal(verdict.code, 1);
    assert.match(verdict.out, /error: mediaCheck: verdict must be one of pass, review, risky, unreachable/);
  });
});
