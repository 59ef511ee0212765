#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (TypeScript through tsx).
// Node 20's --test does not expand globs itself, so we list the files here.
// Usage: npm test [-- path-filter ...]   e.g. npm test -- crypto emulator
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = walk('test')
  .map((f) => relative('.', f))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(1);
}

// No hang may eat CI's time. --test-timeout means different things by Node major: on 20 it bounds
// each whole test file (the chaos fuzz test alone may take its own 600 s), from 22 each test (a
// test's own `timeout` option wins). A file whose tests are done but whose event loop stays alive
// (a leaked handle) is bounded by the watchdog below, not by --test-force-exit: on Node 24 that flag
// ends a file's process before its report has reached the runner, and passing tests vanish from the
// summary CI reads (the same suite counted 1,358-1,368 of 1,391). A flag given on the command line
// wins over these.
const major = Number(process.versions.node.split('.')[0]);
const defaults = [major >= 22 ? '--test-timeout=300000' : '--test-timeout=900000'];
const given = new Set(flags.map((f) => f.split('=')[0]));
const bounds = defaults.filter((f) => !given.has(f.split('=')[0]));

// And a bound on the whole run (TEST_RUN_TIMEOUT_MINUTES, default 30; the suite takes about 5):
// the runner and every test process it started are killed, and the run fails.
const runMinutes = Number(process.env.TEST_RUN_TIMEOUT_MINUTES ?? 30);
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...bounds, ...flags, ...files],
  // One id for the whole run: the playground's test files build it once between them (test/helpers/playground-build.ts).
  { stdio: 'inherit', detached: true, env: { ...process.env, WEAPP_TEST_RUN: randomUUID() } },
);
const killAll = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
};
const watchdog = setTimeout(() => {
  console.error(`\nrun-tests: the run took more than ${runMinutes} min; killing it`);
  killAll('SIGKILL');
}, runMinutes * 60_000);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => killAll(signal));
child.on('exit', (code) => {
  clearTimeout(watchdog);
  process.exit(code ?? 1);
});
