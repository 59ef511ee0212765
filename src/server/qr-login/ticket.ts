import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { QrLoginStatus } from './schemas.ts';

/** What a ticket records. Only the secret's hash is kept: a copy of the store cannot follow a login. */
export interface Ticket {
  id: string;
  secretHash: string;
  /** Drawn into the code; enough to scan and confirm (with a bearer token), never to collect tokens. */
  scene: string;
  appid: string;
  clientId: string;
  /** `expired` is never stored: it is `pending` or `scanned` past `expiresAt`. */
  status: Exclude<QrLoginStatus, 'expired'>;
  createdAt: number;
  expiresAt: number;
  /** The browser that asked, as the confirm page shows it. */
  browser: { userAgent: string | null; ip: string; place: string | null };
  /** Our user id of the phone that scanned first: the only one who may confirm or cancel. */
  scannedBy?: string;
  scannedAt?: number;
  finishedAt?: number;
  /** confirmed, and the tokens went to a reader: they are never issued twice. */
  delivered?: boolean;
}

/** A confirmed ticket stays readable this long after it would have expired, for the browser to collect. */
export const COLLECT_GRACE_MS = 60_000;

const SCENE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * The three random values of a ticket, independent of each other: the id the browser addresses
 * (128 bits), the secret it proves itself with (256 bits), and the scene drawn into the code
 * (32 characters of 62: 190 bits, WeChat's maximum length, letters and digits only so it survives
 * URL-encoding unchanged). Knowing one tells nothing about the others.
 */
export function newTicketValues(): { id: string; secret: string; scene: string } {
  let scene = '';
  for (let i = 0; i < 32; i++) scene += SCENE_ALPHABET[randomInt(SCENE_ALPHABET.length)];
  return { id: randomBytes(16).toString('base64url'), secret: randomBytes(32).toString('base64url'), scene };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Constant-time: the comparison of hashes reveals nothing about how much of a guess was right. */
export function secretMatches(ticket: Ticket, secret: string): boolean {
  const expected = Buffer.from(ticket.secretHash, 'base64url');
  const actual = Buffer.from(hashSecret(secret), 'base64url');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function effectiveStatus(ticket: Ticket, now: number): QrLoginStatus {
  if ((ticket.status === 'pending' || ticket.status === 'scanned') && now >= ticket.expiresAt) return 'expired';
  return ticket.status;
}

export function isFinal(status: QrLoginStatus): boolean {
  return status === 'confirmed' || status === 'cancelled' || status === 'expired';
}
