// The WeChat emulator as its own process for `npm run bench` (compiled, from dist/), driven by
// the bench over IPC: it mints wx.login codes in bulk and sets WeChat's latency.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.BENCH_ROOT ?? new URL('../..', import.meta.url).pathname;
const { startEmulator } = await import(pathToFileURL(join(root, 'dist/emulator/index.js')).href);
const appid = process.env.BENCH_APPID ?? '';
const emulator = await startEmulator({
  apps: [{ appid, secret: process.env.BENCH_SECRET ?? '' }],
  logger: false,
  // A flash sale: the same users log in again and again within the minute.
  limits: { code2SessionPerUserPerMinute: 1e9 },
});

process.on('message', (message) => {
  if (message.type === 'codes') {
    const codes = [];
    for (let i = 0; i < message.n; i++) {
      codes.push(emulator.control.login(appid, `${message.prefix}${i % message.users}`).code);
    }
    process.send({ id: message.id, codes });
  } else if (message.type === 'latency') {
    emulator.control.clearFaults();
    if (message.ms > 0) emulator.control.addFault({ api: 'jscode2session', latencyMs: message.ms });
    process.send({ id: message.id });
  }
});
process.on('disconnect', () => void emulator.close().then(() => process.exit(0)));
process.send({ ready: true, url: emulator.url });
