// A child process for test/cli/heap-policy.test.ts: the young-generation policy of `serve`
// (src/cli/heap-policy.ts) in a real process with a real HTTP server, under allocation that
// would grow V8's young generation to its default ceiling. Prints its port; GET /stats answers
// the young generation's size (both semi-spaces, bytes) when the hold came (tsx's own loading
// comes first) and the largest seen during start-up and under load.
import { createServer } from 'node:http';
import v8 from 'node:v8';
import { holdYoungGeneration, limitYoungGeneration } from '../../src/cli/heap-policy.ts';

holdYoungGeneration(['serve']);
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

// Start-up: modules and their data, which live as long as the process (~40 MB of small objects).
const loaded: unknown[] = [];
const held = newSpace();
let startMax = 0;
for (let i = 0; i < 400; i++) {
  loaded.push(Array.from({ length: 2000 }, (_, j) => ({ i, j })));
  startMax = Math.max(startMax, newSpace());
}

// Requests in flight: each keeps ~64 KB alive for the next 200 requests, so scavenges find
// plenty of survivors, which is what makes V8 grow the young generation.
const inFlight: unknown[] = [];
let loadMax = 0;
const server = createServer((req, res) => {
  if (req.url === '/stats') {
    res.end(JSON.stringify({ held, startMax, loadMax, loaded: loaded.length }));
    return;
  }
  inFlight.push(Array.from({ length: 2000 }, (_, j) => ({ j, at: Date.now() })));
  if (inFlight.length > 200) inFlight.shift();
  loadMax = Math.max(loadMax, newSpace());
  res.end('ok');
});
limitYoungGeneration(server);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
