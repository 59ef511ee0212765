import { type AddressInfo, createServer, type Server } from 'node:net';
import type { FastifyInstance, FastifyListenOptions } from 'fastify';

/** Listening sockets of one process on the server's port, where the platform lets them share it. */
export const LISTENING_SOCKETS = 8;

/**
 * Whether listen() can share the port between sockets of this process: Node takes `reusePort`
 * from 22.12 and 23.1 on, and only where SO_REUSEPORT spreads connections over the sockets
 * (Linux, FreeBSD); elsewhere Node refuses the option or the kernel would not balance.
 */
export function canSharePort(version = process.versions.node, platform = process.platform): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const node = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  return node && (platform === 'linux' || platform === 'freebsd');
}

/**
 * Listens on `host:port`, with {@link LISTENING_SOCKETS} sockets sharing the port where the platform
 * allows ({@link canSharePort}); returns the extra ones (empty elsewhere), whose connections go to
 * the app's HTTP server as if it had accepted them. Why: since libuv 1.45 (Node 20) a listening
 * socket accepts one connection per turn of the event loop (libuv#3696, nodejs/node#57364), and
 * under load a turn lasts 50-300 ms. Measured with 500 new connections arriving at once at a loaded
 * server: about 20 accepted per second, the last ones' first requests answered after 10-14 s while
 * no request took the server more than 1.2 s. Eight sockets accept eight per turn. The kernel
 * spreads connections over them by address hash; only processes of the same user can join the
 * group. On Node 20 there is one socket: put a proxy that keeps connections alive in front, or
 * `--workers`, whose primary accepts for them.
 */
export async function listenOnSharedPort(
  app: FastifyInstance,
  options: { host: string; port: number },
): Promise<Server[]> {
  const share = canSharePort();
  await app.listen({ ...options, ...(share && { reusePort: true }) } as FastifyListenOptions);
  if (!share) return [];
  const { address, port } = app.server.address() as AddressInfo;
  const extra: Server[] = [];
  for (let i = 1; i < LISTENING_SOCKETS; i++) {
    // As node:http's own server does: no Nagle delay on answers.
    const acceptor = createServer({ noDelay: true }, (socket) => app.server.emit('connection', socket));
    try {
      await new Promise<void>((resolve, reject) => {
        acceptor.once('error', reject);
        acceptor.listen({ host: address, port, reusePort: true } as Parameters<Server['listen']>[0], () => {
          acceptor.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      // The first socket serves alone, as on a platform without the option.
      app.log.warn({ err: { message: (err as Error).message } }, 'could not add a listening socket on the port');
      break;
    }
    extra.push(acceptor);
  }
  return extra;
}
