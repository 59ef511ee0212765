import { createServer } from 'node:net';

/** A port nobody listens on right now (the OS's pick for port 0), released again at once. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, resolve);
  });
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === 'string') throw new Error('the OS gave no port');
  return address.port;
}

/** Whether `port` on `host` can be listened on right now (tried, then released at once). */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const probe = createServer();
  const free = await new Promise<boolean>((resolve, reject) => {
    probe.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err),
    );
    probe.listen(port, host, () => resolve(true));
  });
  if (free) await new Promise((resolve) => probe.close(resolve));
  return free;
}
