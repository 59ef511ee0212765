import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Directory } from '../directory.ts';
import { urlHost } from '../url-host.ts';
import { encodePng } from '../wxacode/png.ts';

const SIZE = 132;

/**
 * The picture behind a generated avatar URL: a 132×132 PNG whose colours and figure come from the
 * path, so each user keeps the same face and two users rarely share one. Not WeChat's photo, but
 * a real image at the same path, served offline.
 */
export function avatarPng(path: string): Buffer {
  const hash = createHash('sha256').update(path).digest();
  const background = [hash[0] ?? 0, hash[1] ?? 0, hash[2] ?? 0].map((c) => 96 + (c % 128));
  const figure = background.map((c) => Math.min(255, c + 80));
  // One filter byte (0: none) before each row of RGB pixels: a head and shoulders in a lighter tone.
  const raw = Buffer.alloc(SIZE * (SIZE * 3 + 1));
  for (let y = 0; y < SIZE; y++) {
    const row = y * (SIZE * 3 + 1);
    for (let x = 0; x < SIZE; x++) {
      const head = (x - 66) ** 2 + (y - 52) ** 2 < 24 ** 2;
      const shoulders = y > 88 && (x - 66) ** 2 + (y - 132) ** 2 < 48 ** 2;
      const colour = head || shoulders ? figure : background;
      raw.set(colour as number[], row + 1 + x * 3);
    }
  }
  return encodePng({ size: SIZE, colourType: 2, raw });
}

/**
 * Serves WeChat's avatar paths (/mmopen/vi_32/{path}/{size}) with `avatarPng`; with
 * `avatarHost: 'emulator'`, generated profiles point here once the emulator listens.
 */
export function avatarRoutes(app: FastifyInstance, directory: Directory, avatarHost: 'wechat' | 'emulator'): void {
  app.get<{ Params: { path: string; size: string } }>('/mmopen/vi_32/:path/:size', async (request, reply) =>
    reply.type('image/png').header('cache-control', 'public, max-age=86400').send(avatarPng(request.params.path)),
  );
  if (avatarHost === 'emulator') {
    app.addHook('onListen', async () => {
      const address = app.server.address() as AddressInfo;
      directory.avatarOrigin = `http://${urlHost(address)}:${address.port}`;
    });
  }
}
