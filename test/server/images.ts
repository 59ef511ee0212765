import type { Stack } from './stack.ts';

/** The smallest real images of each accepted type (1×1), as a phone would never send but a decoder accepts. */
export const IMAGES = {
  png: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  ),
  jpg: Buffer.from(
    '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
    'base64',
  ),
  webp: Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'),
  gif: Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'),
} as const;

export const MIME = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' } as const;

/** A Linux executable's first bytes: what a renamed binary looks like to the sniffer. */
export const ELF_EXECUTABLE = Buffer.concat([
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
  Buffer.alloc(248, 0x90),
]);

export interface UploadInit {
  token?: string;
  method?: 'POST' | 'PUT';
  /** The multipart field; default "file", wx.uploadFile's usual name. */
  field?: string;
  filename?: string;
  /** The type the client claims for the part. */
  type?: string;
  /** Form fields wx.uploadFile's formData adds. */
  formData?: Record<string, string>;
}

/** What wx.uploadFile sends: multipart/form-data with the file in one field. */
export async function uploadMultipart(s: Stack, bytes: Uint8Array, init: UploadInit = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(init.formData ?? {})) form.append(k, v);
  form.append(
    init.field ?? 'file',
    new Blob([new Uint8Array(bytes)], { type: init.type ?? 'image/png' }),
    init.filename ?? 'tmp_8f1c2a.png',
  );
  return send(s, '/v1/me/avatar', { method: init.method ?? 'POST', body: form, token: init.token });
}

/** The raw-body variant: the image itself, with an image/* or application/octet-stream type. */
export async function uploadRaw(s: Stack, bytes: Uint8Array, init: { token?: string; type?: string } = {}) {
  return send(s, '/v1/me/avatar', {
    method: 'PUT',
    body: new Uint8Array(bytes),
    token: init.token,
    headers: { 'content-type': init.type ?? 'application/octet-stream' },
  });
}

async function send(
  s: Stack,
  path: string,
  init: { method: string; body: BodyInit; token?: string | undefined; headers?: Record<string, string> },
) {
  const res = await fetch(`${s.url}${path}`, {
    method: init.method,
    body: init.body,
    headers: { ...init.headers, ...(init.token && { authorization: `Bearer ${init.token}` }) },
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field and assert them
  return { status: res.status, body: body as Record<string, any>, text };
}

/** GET an avatar URL from this stack (PUBLIC_URL names another port in tests: only the path counts). */
export async function fetchAvatar(s: Stack, avatarUrl: string) {
  const res = await fetch(`${s.url}${new URL(avatarUrl).pathname}`);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
