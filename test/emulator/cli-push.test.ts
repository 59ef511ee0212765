import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));
const APPID = 'wx00000000000000b1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** Runs `weapp-auth emulator` to its end, everything it printed. */
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
        `${APPID}:flag-secret`,
        '--push',
        `appid=${APPID},url=http://127.0.0.1:9/wechat/push/${APPID},token=cliToken01,aesKey=${AES_KEY},format=xml`,
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
    assert.ok(printed.includes(`  message push: ${APPID} → http://127.0.0.1:9/wechat/push/${APPID} (safe, xml)`));
    assert.ok(printed.includes('  message push: wx00000000000000b2 → http://127.0.0.1:9/p (plaintext, json)'));
    assert.doesNotMatch(printed.join('\n'), /cliToken01|envToken02/);
    const settings = (await (await fetch(`${url}/__emulator/push`)).json()) as { appid: string }[];
    assert.deepEqual(settings.map((s) => s.appid).sort(), [APPID, 'wx00000000000000b2']);
    const policy = (await (await fetch(`${url}/__emulator/media-checks/policy`)).json()) as Record<string, unknown>;
    assert.deepEqual([policy.verdict, policy.delayMs], ['review', 0]);
    child.kill('SIGTERM');
    assert.equal((await once(child, 'exit'))[0], 0);
  });

  it('refuses a malformed --push without echoing its token, and a bad verdict', async () => {
    const push = await runToExit(['--push', `appid=${APPID},url=http://h/p,token=no!TOPSECRET`]);
    assert.equal(push.code, 1);
    assert.match(push.out, /error: --push \/ EMULATOR_PUSH: token must be 3-32 letters and digits/);
    assert.doesNotMatch(push.out, /TOPSECRET/);
    const verdict = await runToExit(['--media-check-verdict', 'maybe']);
    assert.equal(verdict.code, 1);
    assert.match(verdict.out, /error: mediaCheck: verdict must be one of pass, review, risky, unreachable/);
  });
});
