import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { serveEnv } from '../chaos/http.ts';
import { forEachDialect, TEST_DATABASE_URL } from '../helpers/databases.ts';
import { startServeProcess } from '../helpers/serve-process.ts';

/**
 * What a `serve` process carries (issue 11, memory at 1,000 connections): the drivers it uses
 * and no others. A SQLite server without Redis loads neither node-postgres nor ioredis, and of
 * undici only the Agent the WeChat client dispatches through — not undici's index (all of undici),
 * and not Node's bundled undici, which pg and undici's index each pulled in by touching the fetch
 * globals: ~9 MB of heap in all. A top-level import of one of them anywhere would bring it back.
 * The PostgreSQL run shows the report sees what is loaded (pg is there).
 */

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const reporter = fileURLToPath(new URL('../helpers/report-modules.mjs', import.meta.url));

interface Loaded {
  packages: string[];
  undiciIndex: boolean;
  bundledUndici: boolean;
}

forEachDialect('what serve loads', (h) => {
  it('only the drivers of its own database, and of undici the Agent alone', async () => {
    const env: Record<string, string> = { NODE_OPTIONS: `--import ${reporter}` };
    if (h.dialect === 'postgres') {
      const url = new URL(TEST_DATABASE_URL);
      url.searchParams.set('options', `-c search_path=${(await h.freshDatabase()).schema}`);
      env.DATABASE_URL = url.toString();
    }
    // No WeChat call is made: the API base is never dialled.
    const serve = await startServeProcess(serveEnv('http://127.0.0.1:9', env));
    try {
      serve.kill('SIGUSR2');
      let line: string | undefined;
      for (let waited = 0; line === undefined && waited < 30_000; waited += 50) {
        line = /loaded modules: (.*)\n/.exec(serve.output().stderr)?.[1];
        if (line === undefined) await sleep(50);
      }
      assert.ok(line, `no report on stderr:\n${serve.output().stderr}`);
      const loaded = JSON.parse(line) as Loaded;
      assert.ok(loaded.packages.includes('fastify'), line);
      assert.equal(loaded.packages.includes('pg'), h.dialect === 'postgres', line);
      assert.equal(loaded.packages.includes('ioredis'), false, line);
      assert.equal(loaded.packages.includes('jose'), false, line);
      assert.equal(loaded.undiciIndex, false, line);
      // pg reads the global Response (it looks for Cloudflare Workers): Node's undici comes with it.
      // Node 24 loads its bundled undici during a server's start whatever we import (not through
      // the fetch globals, not for fastify, tsx or a worker alone; the cause was not found), so
      // the check holds where our imports decide it: Node 20.
      if (h.dialect === 'sqlite' && NODE_MAJOR < 22) assert.equal(loaded.bundledUndici, false, line);
    } finally {
      await serve.stop();
    }
  });
});
