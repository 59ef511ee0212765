#!/usr/bin/env node
// An installed package ships dist/ only. In a checkout, `serve` runs the compiled build in dist/
// when it is newer than every source file (production starts compiled JavaScript: less memory,
// a faster start) and says so; every other command, and a serve whose build is missing or older
// than src/, runs src/ through tsx, so an edit is never silently ignored.
import cluster from 'node:cluster';
import { existsSync, readdirSync, statSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
// Built separately (npm run build:playground and friends), not by tsc into dist/.
const notCompiled = new Set(['src/playground/client']);

function newestSource(dir, relative) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!notCompiled.has(path)) newest = Math.max(newest, newestSource(new URL(`${entry.name}/`, dir), path));
    } else if (entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(new URL(entry.name, dir)).mtimeMs);
    }
  }
  return newest;
}

const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const say = (line) => {
  // Workers of `serve --workers` run this file again; the primary has said it once.
  if (cluster.isPrimary) process.stderr.write(`weapp-auth ${command}: ${line}\n`);
};

if (!existsSync(source)) {
  await import(compiled.href);
} else if (command === 'serve' && existsSync(compiled)) {
  const built = statSync(compiled).mtimeMs;
  if (newestSource(new URL('../src/', import.meta.url), 'src') <= built) {
    say('running the compiled build in dist/');
    await import(compiled.href);
  } else {
    say('dist/ is older than src/, so running src/ through tsx (npm run build to run compiled)');
    await runSource();
  }
} else {
  if (command === 'serve') say('no build in dist/, so running src/ through tsx (npm run build to run compiled)');
  await runSource();
}

async function runSource() {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
}
