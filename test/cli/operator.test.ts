import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createSession, listSigningKeys, openStore, upsertIdentityOnLogin } from '../../src/store/index.ts';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));

describe('operator commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-ops-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:${join(dir, 'ops.db')}`,
    WEAPP_APPS: `wx4f4bc4dec97d474b:${'c'.repeat(32)}`,
    WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
  };
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: 'utf8' });

  it('migrate applies the schema once, then says it is up to date', () => {
    const first = run('migrate');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /applied: 0001_initial/);
    const second = run('migrate');
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /schema is up to date/);
  });

  it('keys rotate adds a signing key and keeps the old one published', async () => {
    const first = run('keys', 'rotate');
    assert.equal(first.status, 0, first.stderr);
    const second = run('keys', 'rotate');
    assert.equal(second.status, 0, second.stderr);
    const [, kid] = /signing with (\S+); retired (\S+)/.exec(second.stdout) ?? [];
    const store = await openStore({ url: env.DATABASE_URL, secretKey: env.WEAPP_SECRET_KEY });
    try {
      const keys = await listSigningKeys(store);
      assert.equal(keys.length, 2);
      assert.equal(keys.filter((k) => k.retiredAt === null).length, 1);
      assert.equal(keys.find((k) => k.retiredAt === null)?.kid, kid);
    } finally {
      await store.close();
    }
  });

  it('keys reseal rewrites the sealed keys under a new WEAPP_SECRET_KEY', () => {
    const newKey = randomBytes(32).toString('base64');
    const r = spawnSync(process.execPath, [bin, 'keys', 'reseal'], {
      cwd: dir,
      env: { ...env, WEAPP_SECRET_KEY: newKey, WEAPP_SECRET_KEY_PREVIOUS: env.WEAPP_SECRET_KEY },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /resealed the session keys of 0 identities and 2 signing keys/);
    assert.match(r.stdout, /WEAPP_SECRET_KEY_PREVIOUS can now be removed/);
    // The old key alone no longer opens the signing keys: rotate again with it and it fails.
    const stale = run('keys', 'rotate');
    assert.notEqual(stale.status, 0);
    assert.match(stale.stderr, /DECRYPT_FAILED|did not authenticate/);
    env.WEAPP_SECRET_KEY = newKey;
  });

  it('cleanup deletes expired refresh tokens and keeps live ones', async () => {
    const store = await openStore({ url: env.DATABASE_URL, secretKey: env.WEAPP_SECRET_KEY });
    try {
      const { user } = await upsertIdentityOnLogin(store, {
        appid: 'wx4f4bc4dec97d474b',
        openid: 'oCleanup0000000000000000000',
        sessionKey: randomBytes(16).toString('base64'),
      });
      const day = 86_400_000;
      const base = { userId: user.id, appid: 'wx4f4bc4dec97d474b' };
      await createSession(store.db, { ...base, refreshTokenHash: 'a'.repeat(64), expiresAt: Date.now() - 3 * day });
      await createSession(store.db, { ...base, refreshTokenHash: 'b'.repeat(64), expiresAt: Date.now() + day });
    } finally {
      await store.close();
    }
    const r = run('cleanup');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /deleted 1 expired refresh tokens, 0 retired signing keys, 0 accounts due for deletion and 0 audit events older than 180 days/,
    );
  });

  it('serve refuses a bad configuration, listing what to fix', () => {
    const r = spawnSync(process.execPath, [bin, 'serve'], {
      cwd: dir,
      env: { ...process.env, WEAPP_APPS: 'nope', WEAPP_SECRET_KEY: '' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Invalid configuration:/);
    assert.match(r.stderr, /WEAPP_APPS entry 1 must be appid:secret/);
    assert.match(r.stderr, /WEAPP_SECRET_KEY is required/);
  });
});
