import { connect } from 'node:net';

/**
 * A loopback port that refuses connections now and for the rest of the run: one below 1024, which
 * the OS never hands out for port 0 and no test listens on. A port from `freePort()` is only free
 * the moment it is picked — a test file running alongside may be given it for its own listener
 * next, and a connection meant to be refused is then accepted and dropped ("Connection terminated
 * unexpectedly" instead of ECONNREFUSED). Each candidate is tried, so a machine that does serve one
 * of them costs nothing; the ports fetch refuses to dial (the Fetch standard's "bad ports": undici
 * answers "bad port" without connecting) are skipped, so every client meets a real refusal.
 */
export async function refusedPort(host = '127.0.0.1'): Promise<number> {
  for (let port = 2; port < 1024; port++) {
    if (!FETCH_BAD_PORTS.has(port) && (await refuses(host, port))) return port;
  }
  throw new Error(`every port below 1024 on ${host} accepts connections`);
}

function refuses(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** https://fetch.spec.whatwg.org/#port-blocking, the ones below 1024. */
const FETCH_BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995,
]);
