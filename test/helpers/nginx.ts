import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** Why nginx tests cannot run here, or undefined when they can. */
export const nginxProblem: string | undefined = existsSync(NGINX)
  ? undefined
  : `no nginx at ${NGINX} (apt-get install nginx, or set NGINX_PATH)`;

export interface RunningNginx {
  /** Where clients reach the proxy: http://127.0.0.1:<port>. */
  url: string;
  /** What nginx printed (its error log). */
  output(): string;
  close(): Promise<void>;
}

/**
 * Debian's nginx in the foreground as a reverse proxy to `upstreamPort`, configured the way the
 * README tells operators to (`X-Forwarded-For $proxy_add_x_forwarded_for`: the client's header with
 * the address nginx received from appended). Everything it writes stays in a temporary directory.
 */
export async function startNginx(upstreamPort: number): Promise<RunningNginx> {
  let lastError: Error | undefined;
  // The port is free when chosen but might be taken before nginx binds it: try another then.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(upstreamPort, await freePort());
    } catch (err) {
      lastError = err as Error;
      if (!/Address already in use/.test(lastError.message)) break;
    }
  }
  throw lastError;
}

async function startOnce(upstreamPort: number, port: number): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'weapp-auth-nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_bind 127.0.0.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  );
  // One process (no master and workers running as another user): stopping it by its PID stops it all.
  const child: ChildProcess = spawn(
    NGINX,
    ['-p', dir, '-e', 'stderr', '-c', conf, '-g', `daemon off; master_process off; pid ${dir}/nginx.pid;`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await waitForPort(port, exited, () => output);
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    cleanup();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async close() {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      await exited;
      cleanup();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on `port`; rejects if nginx exits or 5 s pass. */
async function waitForPort(port: number, exited: Promise<void>, output: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  // Only the bound for an nginx that never listens: a loaded machine may take seconds to start one.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`nginx exited: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port} within 30 s: ${output()}`);
}
