import { type Static, Type } from '@sinclair/typebox';
import { AppidSchema, TokensSchema, UserSchema } from '../schemas.ts';

/**
 * The contract of scan-to-login (README "Scan to log in on a website", docs/qr-login.md): the
 * browser's routes (CORS for WEB_CLIENTS origins, the ticket's `secret` as proof) and the mini
 * program's (bearer). The SDK's auth.qrLogin and the browser module startQrLogin are built on it.
 */

export const QR_LOGIN_STATUSES = ['pending', 'scanned', 'confirmed', 'cancelled', 'expired'] as const;
export type QrLoginStatus = (typeof QR_LOGIN_STATUSES)[number];
/** After these the ticket never changes again; the event stream closes. */
export const FINAL_STATUSES: readonly QrLoginStatus[] = ['confirmed', 'cancelled', 'expired'];

/** WEB_CLIENTS ids: letters, digits, "_", "-", "."; never shaped like an appid. */
export const ClientIdSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });
/** The ticket id the browser addresses (22 base64url characters: 128 random bits). */
export const TicketIdSchema = Type.String({ minLength: 22, maxLength: 22, pattern: '^[A-Za-z0-9_-]+$' });
/** The browser's proof (43 base64url characters: 256 random bits); only its hash is stored. */
export const TicketSecretSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
/**
 * The `scene` drawn into the code, as onLoad receives it after decodeURIComponent: 32 letters and
 * digits (WeChat's limit is 32 visible characters, wechat-api.md §getwxacodeunlimit).
 */
export const SceneSchema = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9]+$' });

export const CreateBody = Type.Object(
  {
    clientId: ClientIdSchema,
    /** The mini program that draws the code (default: the first of WEAPP_APPS). */
    appid: Type.Optional(AppidSchema),
  },
  { additionalProperties: false },
);
export type CreateBody = Static<typeof CreateBody>;

export const CreateResponse = Type.Object({
  id: TicketIdSchema,
  secret: Type.String({ description: 'Keep in this browser only; proves the ticket is yours on every read' }),
  qrcode: Type.String({ description: 'data:image/png;base64,… — the mini-program code WeChat drew for the ticket' }),
  expiresIn: Type.Integer({ description: 'Seconds until the ticket expires (QR_LOGIN_TTL_SECONDS)' }),
  expiresAt: Type.String({ format: 'date-time' }),
  pollInterval: Type.Integer({ description: 'Milliseconds between polls when EventSource is not available' }),
});

export const TicketParams = Type.Object({ id: TicketIdSchema });
export const SecretQuery = Type.Object({ secret: TicketSecretSchema }, { additionalProperties: false });

/** The web session handed over at confirmation: tokens for `aud` = the web client, and the user. */
export const WebLoginSchema = Type.Object({ ...TokensSchema, user: UserSchema });

/**
 * One state of a ticket as the browser sees it: the polling answer and the `data` of each event.
 * `tokens` is present exactly once, in the first answer or event that reports `confirmed`; any
 * later reader sees `confirmed` with `delivered: true` and no tokens.
 */
export const TicketStateSchema = Type.Object({
  id: TicketIdSchema,
  status: Type.Unsafe<QrLoginStatus>({ type: 'string', enum: [...QR_LOGIN_STATUSES] }),
  expiresIn: Type.Integer({ description: 'Seconds left before the ticket expires (0 once final)' }),
  scannedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  tokens: Type.Optional(WebLoginSchema),
  delivered: Type.Optional(Type.Boolean({ description: 'confirmed, and the tokens already went to a reader' })),
});
export type TicketState = Static<typeof TicketStateSchema>;

export const SceneBody = Type.Object({ scene: SceneSchema }, { additionalProperties: false });
export type SceneBody = Static<typeof SceneBody>;

/** What the mini program's confirm page shows: who asks to log in, from where, since when. */
export const ScanResponse = Type.Object({
  status: Type.Unsafe<QrLoginStatus>({ type: 'string', enum: ['scanned'] }),
  client: Type.Object({
    id: ClientIdSchema,
    name: Type.String({ description: 'WEB_CLIENTS display name, or the id' }),
    origin: Type.String({ description: 'The first configured origin of the client' }),
  }),
  browser: Type.Object({
    userAgent: Type.Union([Type.String(), Type.Null()]),
    ip: Type.String(),
    place: Type.Union([Type.String(), Type.Null()], {
      description: 'Approximate place from QR_LOGIN_PLACE_HEADER when a proxy sets it, else null',
    }),
  }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresIn: Type.Integer(),
});

export const StatusResponse = Type.Object({
  status: Type.Unsafe<QrLoginStatus>({ type: 'string', enum: ['confirmed', 'cancelled'] }),
});
