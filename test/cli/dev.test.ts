import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));

/** `npm start` as a user runs it (on free ports, in an empty directory), then `npm run demo` against it. */
describe('weapp-auth dev + demo', () => {
  let dir: string;
  let dev: ChildProcess;
  let output = '';
  let server = '';
  let emulator = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weapp-auth-dev-'));
    dev = spawn(process.execPath, [bin, 'dev', '--emulator-port', '0'], {
      cwd: dir,
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stderr?.on('data', (d) => {
      output += String(d);
    });
    await new Promise<void>((resolve, reject) => {
      dev.stdout?.on('data', (d) => {
        output += String(d);
        const s = /server\s+(http:\/\/\S+)/.exec(output);
        const e = /emulator\s+(http:\/\/\S+)/.exec(output);
        if (s?.[1] && e?.[1]) {
          server = s[1];
          emulator = e[1];
          resolve();
        }
      });
      dev.once('exit', (code) => reject(new Error(`dev exited with ${code}: ${output}`)));
    });
  });

  after(() => {
    dev.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the URLs and a curl walk-through', () => {
    assert.match(output, /weapp-auth dev is running, offline/);
    assert.match(output, /__emulator\/login/);
    assert.match(output, /\/v1\/login/);
  });

  it('demo walks the tutorial flow and succeeds', async () => {
    const r = spawnSync(process.execPath, [bin, 'demo', '--server', server, '--emulator', emulator], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1\. wx\.login\(\)/);
    assert.match(r.stdout, /3\. GET \/wx\/login → HTTP 200/);
    assert.match(r.stdout, /"openId": "o/);
    assert.match(r.stdout, /4\. GET \/v1\/me with the access token → HTTP 200/);
    assert.match(r.stdout, /5\. POST \/v1\/token\/refresh → HTTP 200/);
    assert.doesNotMatch(r.stdout, /session_key"/);
  });

  it('demo explains what to do when no dev stack runs', () => {
    const r = spawnSync(
      process.execPath,
      [bin, 'demo', '--server', 'http://127.0.0.1:9', '--emulator', 'http://127.0.0.1:9'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 1);
    assert.match(r.stdout, /Start it first: npm start/);
  });
});
