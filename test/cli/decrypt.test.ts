import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { vectors } from '../helpers/vectors.ts';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));
const v = vectors.decrypt;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('weapp-auth decrypt', () => {
  it('prints the decrypted JSON of the official vector', () => {
    const r = cli(
      'decrypt',
      '--session-key',
      v.sessionKey,
      '--iv',
      v.iv,
      '--data',
      v.encryptedData,
      '--appid',
      v.appId,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(v.plaintext));
  });

  it('explains a rotated session_key', () => {
    const r = cli('decrypt', '--session-key', 'HyVFkGl5F5OQWJZZaNzBBg==', '--iv', v.iv, '--data', v.encryptedData);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^DECRYPT_FAILED: /m);
    assert.match(r.stderr, /likely cause: .*wx\.login/);
    assert.equal(r.stdout, '');
  });

  it('explains a watermark from another app', () => {
    const r = cli(
      'decrypt',
      '--session-key',
      v.sessionKey,
      '--iv',
      v.iv,
      '--data',
      v.encryptedData,
      '--appid',
      'wx0000000000000000',
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^WATERMARK_MISMATCH: .*wx4f4bc4dec97d474b/m);
  });

  it('explains a malformed iv and warns when the watermark was not checked', () => {
    const bad = cli('decrypt', '--session-key', v.sessionKey, '--iv', 'abc', '--data', v.encryptedData);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^INVALID_IV: /m);
    const ok = cli('decrypt', '--session-key', v.sessionKey, '--iv', v.iv, '--data', v.encryptedData);
    assert.equal(ok.code, 0);
    assert.match(ok.stderr, /watermark\.appid was not checked/);
  });

  it('refuses missing options with help', () => {
    const r = cli('decrypt', '--iv', v.iv);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--session-key/);
  });
});
