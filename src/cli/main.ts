#!/usr/bin/env node
// The CLI's entry point. For `serve`, V8's young generation is held at its start size before
// anything else loads (heap-policy.ts: loading the server's modules grew it to 2 × 16 MB within a
// second); the commands come in by a dynamic import, because static imports all load first.
import { holdYoungGeneration } from './heap-policy.ts';

holdYoungGeneration(process.argv.slice(2));
const { buildCli } = await import('./program.ts');
await buildCli().parseAsync(process.argv);
