import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { root, scratch } from '../miniprogram/client-package.ts';

/** A website of the tests: a blank page and weapp-auth-web as built for publishing, on its own origin. */
export interface PageServer {
  origin: string;
  close(): Promise<void>;
}

/** `node packages/web/scripts/build.mjs --out <dir>`: the module as `npm pack` ships it. */
function buildWebModule(): string {
  const out = scratch('weapp-auth-web-');
  const r = spawnSync(process.execPath, [join(root, 'packages/web/scripts/build.mjs'), '--out', out.dir], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building packages/web failed:\n${r.stdout}${r.stderr}`);
  const code = readFileSync(join(out.dir, 'dist/index.js'), 'utf8');
  out.dispose();
  return code;
}

export async function startPageServer(): Promise<PageServer> {
  const module = buildWebModule();
  const server: Server = createServer((req, res) => {
    if (req.url === '/weapp-auth-web.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(module);
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(
        '<!doctype html><html><head><meta charset="utf-8"><title>site</title></head><body><img id="code"></body></html>',
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
