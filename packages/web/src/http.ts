import { WebAuthError } from './errors.ts';

export type Fetch = typeof fetch;

/** `fetch` of JSON; a non-2xx answer rejects with the server's code, no answer with NETWORK_ERROR. */
export async function requestJson<T>(
  fetchImpl: Fetch,
  url: string,
  init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown; token?: string; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: init.method ?? 'GET',
      headers,
      // The tokens travel in the body, never as cookies: no credentials, so no CSRF surface.
      credentials: 'omit',
      cache: 'no-store',
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      ...(init.signal && { signal: init.signal }),
    });
  } catch (err) {
    if ((err as { name?: string } | null)?.name === 'AbortError') throw new WebAuthError('ABORTED', 'Aborted.');
    // A browser reports a CORS refusal as a network failure: say which setting to look at.
    throw new WebAuthError(
      'NETWORK_ERROR',
      `${url} could not be reached (offline, or this page's origin is not in the server's WEB_CLIENTS): ${(err as Error).message}`,
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) throw answerError(res.status, body);
  return body as T;
}

/** The server's `{code, message, details?}`, or HTTP_ERROR. */
export function answerError(statusCode: number, body: unknown): WebAuthError {
  const b = body as { code?: unknown; message?: unknown; details?: unknown } | null | undefined;
  if (b && typeof b === 'object' && typeof b.code === 'string') {
    const details = b.details && typeof b.details === 'object' ? (b.details as Record<string, unknown>) : undefined;
    return new WebAuthError(b.code, typeof b.message === 'string' ? b.message : b.code, {
      statusCode,
      ...(details && { details }),
    });
  }
  return new WebAuthError('HTTP_ERROR', `HTTP ${statusCode}`, { statusCode });
}
