#!/usr/bin/env node
// The CLI's entry point. For `serve`, V8's young generation is sized before anything else loads
// (heap-policy.ts: loading the server's modules grew it to 2 × 16 MB within a second), by starting
// again with V8's flag where the runtime can, else by holding it; the commands come in by a dynamic
// import, because static imports all load first.
import { sizeYoungGeneration } from './heap-policy.ts';

sizeYoungGeneration(process.argv.slice(2), import.meta.url);
const { buildCli } = await import('./program.ts');
await buildCli().parseAsync(process.argv);
