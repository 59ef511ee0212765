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
 * so setting it at start works; the young generation's size (--max-semi-space-size) is fixed
 * when the process starts and stays the operator's choice (NODE_OPTIONS, see README).
 */
export function limitHeapGrowth(): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
