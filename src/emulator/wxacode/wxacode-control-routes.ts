import type { FastifyInstance } from 'fastify';
import type { WxaCodeControl } from './wxacode-control.ts';

type Body = Record<string, unknown>;

/** The control API of mini-program codes, under /__emulator (docs/emulator.md). */
export async function wxacodeControlRoutes(app: FastifyInstance, control: WxaCodeControl): Promise<void> {
  // The phone scans a code: {image} (base64 or data: URL) or {appid, scene} → what onLoad receives.
  app.post('/wxacode/scan', async (request) => control.scan((request.body ?? {}) as Body));
  app.get<{ Params: { appid: string } }>('/apps/:appid/published-pages', async (request) =>
    control.publishedPages(request.params.appid),
  );
  app.put<{ Params: { appid: string } }>('/apps/:appid/published-pages', async (request) =>
    control.setPublishedPages(request.params.appid, ((request.body ?? {}) as Body).pages),
  );
}
