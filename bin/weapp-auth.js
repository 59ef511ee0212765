#!/usr/bin/env node
// An installed package ships dist/ (built by `npm pack`); a checkout runs src/ through tsx,
// so a stale dist/ in a working tree is never what runs.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
