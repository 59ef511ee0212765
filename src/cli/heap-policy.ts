import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection kept, in percent.
 *
 * Measured on GET /v1/me at 1,000 connections (BENCHMARKS.md, 2026-12-01): the live heap is
 * about 33 MB (1,000 sockets cost ~2 MB of it), yet the process peaked near 200 MB. Objects of
 * requests in flight survive two scavenges and are promoted (~3.5 KB a request), and V8, tuned
 * for throughput, let the old generation reach four times the live set (≈ 95 MB) before its next
 * full collection. With growth capped at 1.5× the live set, full collections come every couple
 * of seconds (concurrent marking, off the main thread for the most part) and the old generation
 * peaks near 50 MB. This bounds garbage, never live data: there is no ceiling to run into, unlike
 * --max-old-space-size.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Applies {@link HEAP_GROWING_PERCENT} to this process, unless the operator chose a heap policy of
 * their own (a --heap-growing-percent flag). V8 reads this flag each time it sets the next limit,
 * so setting it at start works; the young generation is another matter (see {@link SEMI_SPACE_MB}).
 */
export function limitHeapGrowth(): void {
  if (operatorSet('--heap-growing-percent')) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * The young generation `serve` lets V8 grow to, in MB per semi-space (V8 keeps two). Node 20's
 * default is 16, and under load both fill: 32 MB of resident memory. At 8, the peak at 1,000
 * connections fell by ~15 MB without a measurable loss of throughput (BENCHMARKS.md, 2026-12-02).
 */
export const SEMI_SPACE_MB = 8;

/**
 * A `serve --workers` worker's flags: the primary's, with {@link SEMI_SPACE_MB} as V8's ceiling
 * (read only when a process starts: the primary starts its workers anyway), unless the operator
 * sized the young generation.
 */
export function workerExecArgv(): string[] {
  if (youngGenerationSized()) return process.execArgv;
  return [...process.execArgv, `--max-semi-space-size=${SEMI_SPACE_MB}`];
}

/**
 * Whether the operator gave this process a V8 flag, on its command line or in NODE_OPTIONS (which
 * a worker inherits, and which a flag on its command line would override). V8 spells flags with
 * `-` and `_` alike.
 */
function operatorSet(flag: string): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return given.some((arg) => arg.replaceAll('_', '-').startsWith(flag));
}

const youngGenerationSized = () => operatorSet('--max-semi-space-size') || operatorSet('--semi-space-growth-factor');

/** The command of a `weapp-auth` command line (the value of --lang is not one). */
function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--lang') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * One `serve` process keeps its young generation near {@link SEMI_SPACE_MB} without the flag at
 * start, in two steps. V8 reads the ceiling (--max-semi-space-size) only when it creates the
 * heap, and starting the server again with it would keep a parent process resident (Node 20
 * cannot exec): 42 MB measured, more than the flag saves. What V8 reads at run time is the growth
 * factor: once a young generation's worth of objects survived scavenges since its last growth, it
 * grows to min(ceiling, factor × its size).
 *
 * First, as the process starts (main.ts, before the other modules load): factor 1, no growth.
 * Loading the server's modules grew the young generation to 2 × 16 MB within the first second,
 * before any request; what survives start-up lives as long as the process anyway.
 */
export function holdYoungGeneration(args: readonly string[]): void {
  if (commandOf(args) !== 'serve' || youngGenerationSized()) return;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * What main.ts calls first. Where the runtime can replace its own process image (`process.execve`:
 * Node 22.15+ and 23.11+, not Windows), `serve` starts again at once with {@link SEMI_SPACE_MB} as
 * V8's ceiling on its command line: the same PID, no parent left resident, nothing loaded yet. It
 * must: V8 13 (Node 24) no longer reads the growth factor at run time — held at factor 1, start-up
 * still grew the young generation to 9-18 MB and load to 21-32 MB. Elsewhere (Node 20), the two
 * steps of {@link holdYoungGeneration} and {@link limitYoungGeneration}. `entry` is main's own URL:
 * the new process runs it directly, with tsx when it is the TypeScript source (bin/weapp-auth.js
 * registered tsx in this process only).
 */
export function sizeYoungGeneration(args: readonly string[], entry: string): void {
  if (commandOf(args) !== 'serve' || youngGenerationSized()) return;
  const execve = (process as { execve?: Execve }).execve;
  if (typeof execve === 'function') {
    const path = fileURLToPath(entry);
    const loader = path.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
    const flags = [...process.execArgv, ...loader, `--max-semi-space-size=${SEMI_SPACE_MB}`];
    try {
      execve.call(process, process.execPath, [process.execPath, ...flags, path, ...args], process.env);
    } catch {
      // Refused (a sandbox without execve): the steering below still bounds it where V8 allows.
    }
  }
  holdYoungGeneration(args);
}

/** How many requests pass between two looks at the young generation's size (a few µs each). */
const STEER_EVERY = 32;

const newSpaceBytes = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size;

/**
 * Then, once the server is built ({@link holdYoungGeneration} first): every {@link STEER_EVERY}
 * requests the factor is set so that the next growth lands on the target exactly (16 from the
 * 1 MB V8 starts with, 2 from half the target), and back to 1 once it is there; after V8 shrank
 * the young generation (an idle server), it may grow back. Overshooting would take two growths
 * between two looks, that is a young generation's worth of survivors from STEER_EVERY requests
 * (a few hundred KB of allocation). Were a V8 to stop reading the factor at run time, the young
 * generation would keep V8's own size. A worker is sized on its command line instead
 * ({@link workerExecArgv}), and an operator's flag wins.
 */
export function limitYoungGeneration(server: Server): void {
  if (youngGenerationSized()) return;
  // V8 counts both semi-spaces in the young generation's size.
  const target = 2 * SEMI_SPACE_MB * 1024 * 1024;
  let factor = 0;
  const steer = () => {
    const size = newSpaceBytes();
    if (!size) return;
    const wanted = Math.max(1, Math.floor(target / size));
    if (wanted === factor) return;
    factor = wanted;
    v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  };
  steer();
  let requests = 0;
  server.prependListener('request', () => {
    if (++requests % STEER_EVERY === 0) steer();
  });
}
