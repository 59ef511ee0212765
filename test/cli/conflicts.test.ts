import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore, UnionIdConflictError, upsertIdentityOnLogin } from '../../src/store/index.ts';
import { TEST_SECRET_KEY } from '../helpers/databases.ts';

const bin = fileURLToPath(new URL('../../bin/weapp-auth.js', import.meta.url));
const key = () => randomBytes(16).toString('base64');

describe('weapp-auth conflicts', () => {
  let dir: string;
  let url: string;
  const ids = { lonely: '', holder: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weapp-auth-conflicts-'));
    url = `sqlite:${join(dir, 'db.sqlite')}`;
    const store = await openStore({ url, secretKey: TEST_SECRET_KEY });
    try {
      // One person, seen first in an app without unionid, then in a bound app: two users; then the
      // first app is bound too, and its next login carries a unionid the second user holds.
      ids.lonely = (
        await upsertIdentityOnLogin(store, { appid: 'wxaaaaaaaaaaaaaaaa', openid: 'oA1', sessionKey: key() })
      ).user.id;
      ids.holder = (
        await upsertIdentityOnLogin(store, {
          appid: 'wxbbbbbbbbbbbbbbbb',
          openid: 'oB1',
          unionid: 'oU1',
          sessionKey: key(),
        })
      ).user.id;
      await assert.rejects(
        upsertIdentityOnLogin(store, { appid: 'wxaaaaaaaaaaaaaaaa', openid: 'oA1', unionid: 'oU1', sessionKey: key() }),
        UnionIdConflictError,
      );
    } finally {
      await store.close();
    }
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [bin, 'conflicts', ...args], {
      encoding: 'utf8',
      cwd: dir,
      env: { ...process.env, DATABASE_URL: url },
    });

  it('lists each conflict with both users, and how to resolve it', () => {
    const r = cli();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^1 unionid conflict, most recently seen first/);
    const row = r.stdout.split('\n').find((l) => l.includes('wxaaaaaaaaaaaaaaaa'));
    assert.ok(row, r.stdout);
    for (const value of ['oA1', 'oU1', ids.lonely, ids.holder]) assert.ok(row.includes(value), `${value} in ${row}`);
    assert.match(r.stdout, /docs\/user-details\.md/);
  });

  it('prints JSON with --json', () => {
    const r = cli('--json');
    assert.equal(r.status, 0, r.stderr);
    const [conflict, ...rest] = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.equal(rest.length, 0);
    assert.equal(conflict?.userId, ids.lonely);
    assert.equal(conflict?.otherUserId, ids.holder);
    assert.equal(conflict?.unionid, 'oU1');
  });

  it('says so when there is none', async () => {
    const empty = `sqlite:${join(dir, 'empty.sqlite')}`;
    await (await openStore({ url: empty, secretKey: TEST_SECRET_KEY })).close();
    const r = spawnSync(process.execPath, [bin, 'conflicts'], {
      encoding: 'utf8',
      cwd: dir,
      env: { ...process.env, DATABASE_URL: empty },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'No unionid conflicts.\n');
  });
});
