import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { bin } from '../helpers/dev-process.ts';
import { refusedPort } from '../helpers/refused-port.ts';

/** Runs `weapp-auth <args>` in an empty directory with only `env` (and PATH); its exit code and output. */
async function run(args: string[], env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-start-'));
  try {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    // bin/weapp-auth.js says whether `serve` runs dist/ or src/: not part of the problem's line.
    return { code, stdout, stderr: stderr.replace(/^weapp-auth serve: .*(dist\/|src\/).*\n/, '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PASSWORD = 'Sup3rS3cretPassw0rd';
const APP = {
  WEAPP_APPS: `wx4f4bc4dec97d474b:${'a1'.repeat(16)}`,
  WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
};
/** Each command that opens the database at start; dev also on free ports, away from anyone's 3000. */
const COMMANDS: [string, string[]][] = [
  ['serve', ['serve']],
  ['dev', ['dev', '--port', '0', '--emulator-port', '0']],
  ['migrate', ['migrate']],
  ['cleanup', ['cleanup']],
];

/**
 * Issue 14, first run 3: a DATABASE_URL of the wrong kind, or a database or Redis that cannot be
 * reached, is one line that says what to fix and exit 2 — never a stack trace, never the password.
 */
describe('start-up problems are one line and exit 2', () => {
  let closed = 0;
  before(async () => {
    closed = await refusedPort();
  });

  const cases: [string, string[], () => Record<string, string>, RegExp][] = [
    ...COMMANDS.map(([name, args]): [string, string[], () => Record<string, string>, RegExp] => [
      `${name} with DATABASE_URL=mysql://…`,
      args,
      () => ({ ...APP, DATABASE_URL: `mysql://weapp:${PASSWORD}@127.0.0.1:3306/weapp` }),
      /^Invalid configuration:\n {2}- DATABASE_URL must be postgres:\/\/user:password@host:5432\/database \(PostgreSQL\) or sqlite:<path> \(SQLite\); "mysql:" is not supported\n$/,
    ]),
    ...COMMANDS.map(([name, args]): [string, string[], () => Record<string, string>, RegExp] => [
      `${name} with PostgreSQL unreachable`,
      args,
      () => ({ ...APP, DATABASE_URL: `postgres://weapp:${PASSWORD}@127.0.0.1:${closed}/weapp` }),
      /^Cannot open the database \(DATABASE_URL\): PostgreSQL cannot serve now: connect ECONNREFUSED 127\.0\.0\.1:\d+\. Check that it runs, that DATABASE_URL is right, and that its user may create tables\.\n$/,
    ]),
    ...COMMANDS.slice(0, 2).map(([name, args]): [string, string[], () => Record<string, string>, RegExp] => [
      `${name} with Redis unreachable`,
      args,
      () => ({ ...APP, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${closed}` }),
      /^Cannot reach Redis \(REDIS_URL\): .+\. Check that it runs and that REDIS_URL is right\.\n$/,
    ]),
  ];

  for (const [name, args, env, expected] of cases) {
    it(name, async () => {
      const r = await run(args, env());
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, expected);
      assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), 'the password was printed');
    });
  }
});
