import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bin, type DevProcess, startDevProcess } from '../helpers/dev-process.ts';
import { refusedPort } from '../helpers/refused-port.ts';

/** `npm start` as a user runs it (on free ports, in an empty directory), then `npm run demo` against it. */
describe('weapp-auth dev + demo', () => {
  let dev: DevProcess;
  let server = '';
  let emulator = '';
  let output = '';
  /** A loopback URL nobody listens on. */
  let nowhere = '';

  before(async () => {
    dev = await startDevProcess();
    ({ server = '', emulator = '' } = dev.urls);
    output = dev.output();
    nowhere = `http://127.0.0.1:${await refusedPort()}`;
  });

  after(() => dev.stop());

  it('prints the URLs and a curl walk-through', () => {
    assert.match(output, /weapp-auth dev is running, offline/);
    assert.match(output, /__emulator\/login/);
    assert.match(output, /\/v1\/login/);
    assert.match(output, /picks an avatar, saves a nickname and binds the phone number/);
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

  it('demo then binds the phone number and sets a nickname, the number printed masked', async () => {
    const r = spawnSync(process.execPath, [bin, 'demo', '--server', server, '--emulator', emulator], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /6\. <button open-type="getPhoneNumber">: the user allows/);
    assert.match(r.stdout, /"errMsg": "getPhoneNumber:ok"/);
    assert.match(r.stdout, /7\. POST \/v1\/me\/phone \{code\} → HTTP 200/);
    assert.match(r.stdout, /8\. POST \/v1\/me \{nickname: "alice \(demo\)"\} → HTTP 200/);
    assert.match(r.stdout, /"nickname": "alice \(demo\)"/);
    const res = await fetch(`${emulator}/__emulator/users/alice`);
    const { purePhoneNumber } = ((await res.json()) as { profile: { purePhoneNumber: string } }).profile;
    // The number the server stored is alice's, printed by its last four digits only.
    const masked = `"phoneNumber": "${'*'.repeat(purePhoneNumber.length - 4)}${purePhoneNumber.slice(-4)}"`;
    assert.ok(r.stdout.includes(masked), `no ${masked} in:\n${r.stdout}`);
    assert.ok(!r.stdout.includes(purePhoneNumber), 'the phone number was printed in full');
  });

  it('demo finds the running dev stack by itself: no flags, from the folder dev runs in', () => {
    // dev runs on free ports here, not the defaults: only its ./data/dev.json can say where.
    const r = spawnSync(process.execPath, [bin, 'demo'], { cwd: dev.dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /5\. POST \/v1\/token\/refresh → HTTP 200/);
  });

  it('demo names the URL it could not reach, and where it got it', () => {
    const r = spawnSync(process.execPath, [bin, 'demo', '--server', server, '--emulator', nowhere], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      new RegExp(`^Could not reach the dev stack at ${nowhere}/__emulator/login \\(ECONNREFUSED\\)\\.`, 'm'),
    );
    assert.match(r.stdout, /given with --server and --emulator/);
    assert.match(r.stdout, /Start it first with `npm start`/);
  });

  it('demo with no dev stack in its folder tries the default ports and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-demo-'));
    try {
      // A record left by a dev that was killed: its process is gone, so it is not believed.
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      mkdirSync(join(dir, 'data'));
      writeFileSync(
        join(dir, 'data', 'dev.json'),
        JSON.stringify({ server: server, emulator: emulator, playground: '', pid: gone }),
      );
      // The default ports may be anyone's on this machine: point the defaults at nothing.
      const r = spawnSync(process.execPath, [bin, 'demo', '--server', nowhere], {
        cwd: dir,
        encoding: 'utf8',
      });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /given with --server, the other the default ports/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
