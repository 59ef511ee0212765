import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What miniprogram-ci's packNpm reported, and how long it took. */
export interface PackNpmResult {
  warnings: unknown[];
  report: Record<string, unknown>;
  ms: number;
}

// Runs in a child process: miniprogram-ci is a large CommonJS bundle with global state of its own.
const SCRIPT = `
const ci = require('miniprogram-ci');
const [projectPath, privateKeyPath, appid] = process.argv.slice(1);
const started = Date.now();
const project = new ci.Project({ appid, type: 'miniProgram', projectPath, privateKeyPath, ignores: ['node_modules/**/*'] });
let report = {};
ci.packNpm(project, { reporter: (r) => { report = r; } }).then(
  (warnings) => process.stdout.write('\\n' + JSON.stringify({ warnings, report, ms: Date.now() - started }) + '\\n'),
  (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); },
);
`;

/**
 * WeChat's own npm builder (what DevTools' Tools → Build npm runs), offline: turns the project's
 * node_modules into miniprogram_npm/. It wants an upload key even for this; a throwaway one does.
 */
export function packNpm(projectPath: string, appid: string): PackNpmResult {
  const keyPath = join(projectPath, `private.${appid}.key`);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const r = spawnSync(process.execPath, ['-e', SCRIPT, projectPath, keyPath, appid], {
    cwd: process.cwd(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    throw new Error(`miniprogram-ci packNpm failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as PackNpmResult;
}
