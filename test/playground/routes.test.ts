import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import Fastify from 'fastify';
import { startEmulator } from '../../src/emulator/start.ts';
import { registerPlayground } from '../../src/playground/routes.ts';

// Regression: unbuilt, the playground registered GET /playground twice and `weapp-auth dev` crashed
// on a fresh clone (the CI order runs dev before anything builds the playground).
it('an unbuilt playground answers 503 with the build command instead of crashing dev', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'weapp-auth-unbuilt-'));
  const emulator = await startEmulator({ logger: false });
  const app = Fastify();
  after(async () => {
    await app.close();
    await emulator.close();
    rmSync(empty, { recursive: true, force: true });
  });
  await registerPlayground(app, { emulator, appid: 'wxdeadbeefcafe0001', dirs: { page: empty, sdk: empty } });
  for (const url of ['/playground', '/playground/']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 503, url);
    assert.match(res.body, /npm run build:miniprogram/);
  }
  assert.equal((await app.inject({ url: '/playground/config.json' })).json().appid, 'wxdeadbeefcafe0001');
});
