import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { bin, type DevProcess, startDevProcess } from '../helpers/dev-process.ts';

/** `npm start` as a user runs it (on free ports, in an empty directory), then `npm run demo` against it. */
describe('weapp-auth dev + demo', () => {
  let dev: DevProcess;
  let server = '';
  let emulator = '';
  let output = '';

  before(async () => {
    dev = await startDevProcess();
    ({ server = '', emulator = '' } = dev.urls);
    output = dev.output();
  });

  after(() => dev.stop());

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
