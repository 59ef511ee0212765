/**
 * Codes of failures on the browser's side (the server's own codes, README "Errors", come as they are):
 * - `NETWORK_ERROR`: the server could not be reached (offline, CORS refused: is this origin in WEB_CLIENTS?).
 * - `HTTP_ERROR`: an answer without weapp-auth's `{code, message}` body (a proxy, another server).
 * - `EXPIRED`: the code expired before the phone confirmed; show a new one.
 * - `CANCELLED`: the user tapped cancel on the phone.
 * - `ABORTED`: this page called cancel().
 * - `ALREADY_DELIVERED`: confirmed, but the tokens (handed out once) went to another reader of the ticket.
 */
export type WebClientErrorCode =
  | 'NETWORK_ERROR'
  | 'HTTP_ERROR'
  | 'EXPIRED'
  | 'CANCELLED'
  | 'ABORTED'
  | 'ALREADY_DELIVERED';

/** What every promise of this module rejects with: a stable `code` to switch on. */
export class WebAuthError extends Error {
  override readonly name = 'WebAuthError';
  readonly code: WebClientErrorCode | (string & {});
  /** The HTTP status, when the server answered. */
  readonly statusCode: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: WebClientErrorCode | (string & {}),
    message: string,
    init: { statusCode?: number; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.code = code;
    this.statusCode = init.statusCode;
    this.details = init.details;
  }
}

export function isWebAuthError(value: unknown): value is WebAuthError {
  return value instanceof WebAuthError;
}
