import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.ts';
import type { WebClient } from '../../config/web-clients.ts';
import { findUserById, recordAuditEvent, type Store } from '../../store/index.ts';
import type { TokenService } from '../../tokens/index.ts';
import { type AccessTokenManager, isWeChatApiError, type WeChatClient } from '../../wechat/client/index.ts';
import { ApiError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { userView } from '../views.ts';
import { fromWeChatError } from '../wechat-errors.ts';
import type { TicketState } from './schemas.ts';
import { effectiveStatus, hashSecret, isFinal, newTicketValues, secretMatches, type Ticket } from './ticket.ts';
import type { TicketEvents } from './ticket-events.ts';
import type { TicketStore } from './ticket-store.ts';

export interface QrLoginDeps {
  config: Readonly<Config>;
  store: Store;
  tickets: TicketStore;
  events: TicketEvents;
  wechat: WeChatClient;
  accessTokens: AccessTokenManager;
  tokens: TokenService;
  metrics: Metrics;
  now: () => number;
  log: FastifyBaseLogger;
}

/** Who asks, as the request shows it: the browser for creation, the phone's user for the rest. */
export interface Requester {
  ip: string;
  userAgent: string | undefined;
  origin: string | undefined;
  place: string | undefined;
}

/** Milliseconds between polls the browser is told to keep (Authing uses 800-1500 ms). */
export const POLL_INTERVAL_MS = 1500;

export function webClient(config: Readonly<Config>, clientId: string): WebClient {
  const client = config.webClients.find((c) => c.id === clientId);
  if (!client) {
    throw new ApiError('UNKNOWN_WEB_CLIENT', {
      en: `clientId ${clientId.slice(0, 64)} is not one of WEB_CLIENTS (${config.webClients.map((c) => c.id).join(', ') || 'none configured'}).`,
      zh: `clientId ${clientId.slice(0, 64)} 不在 WEB_CLIENTS 中（已配置：${config.webClients.map((c) => c.id).join(', ') || '无'}）。`,
    });
  }
  return client;
}

/**
 * Step 1, the browser: a ticket and its code. The limits are checked before WeChat is asked, so a
 * flood costs no quota; the ticket is stored only once WeChat drew its code.
 */
export async function createTicket(
  deps: QrLoginDeps,
  input: { clientId: string; appid: string; requester: Requester },
): Promise<{ ticket: Ticket; secret: string; qrcode: string }> {
  const client = webClient(deps.config, input.clientId);
  const { origin } = input.requester;
  if (origin !== undefined && !client.origins.includes(origin.toLowerCase())) {
    throw new ApiError('ORIGIN_NOT_ALLOWED', {
      en: `Origin ${origin.slice(0, 100)} is not one of ${client.id}'s origins in WEB_CLIENTS.`,
      zh: `Origin ${origin.slice(0, 100)} 不在 WEB_CLIENTS 为 ${client.id} 配置的域名中。`,
    });
  }
  const settings = deps.config.qrLogin;
  const now = deps.now();
  const ttlMs = settings.ttlSeconds * 1000;
  const limits = { perMinute: settings.codesPerMinute, outstanding: settings.maxOutstanding, ttlMs };
  if (!(await deps.tickets.withinLimits(input.appid, now, limits))) {
    deps.metrics.qrLogins.inc({ event: 'busy' });
    throw new ApiError('QR_LOGIN_BUSY');
  }
  const { id, secret, scene } = newTicketValues();
  const image = await drawCode(deps, input.appid, scene);
  const ticket: Ticket = {
    id,
    secretHash: hashSecret(secret),
    scene,
    appid: input.appid,
    clientId: client.id,
    status: 'pending',
    createdAt: now,
    expiresAt: now + ttlMs,
    browser: {
      userAgent: input.requester.userAgent ?? null,
      ip: input.requester.ip,
      place: input.requester.place ?? null,
    },
  };
  await deps.tickets.create(ticket, now);
  deps.metrics.qrLogins.inc({ event: 'created' });
  await audit(deps, 'qr_login.created', ticket, { ip: input.requester.ip });
  return { ticket, secret, qrcode: `data:${image.contentType};base64,${image.bytes.toString('base64')}` };
}

/** getwxacodeunlimit with the app's managed access token; WeChat's refusals as our codes, with advice. */
async function drawCode(deps: QrLoginDeps, appid: string, scene: string) {
  const { page, checkPath, envVersion } = deps.config.qrLogin;
  try {
    return await deps.accessTokens.withAccessToken(appid, (accessToken) =>
      deps.wechat.getUnlimitedQRCode({ accessToken, appid, scene, page, checkPath, envVersion }),
    );
  } catch (err) {
    if (isWeChatApiError(err) && err.errcode === 41030) {
      throw new ApiError('QR_LOGIN_PAGE_INVALID', undefined, {
        errcode: 41030,
        page,
        ...(err.rid && { rid: err.rid }),
      });
    }
    if (isWeChatApiError(err) && err.errcode === 45009) {
      throw new ApiError(
        'WECHAT_RATE_LIMITED',
        {
          en: "WeChat's limit of 5 000 mini-program codes a minute is reached; retry next minute, or lower QR_LOGIN_CODES_PER_MINUTE so this server refuses first.",
          zh: '已达到微信每分钟 5000 个小程序码的上限；请下一分钟重试，或调低 QR_LOGIN_CODES_PER_MINUTE 让本服务器提前拒绝。',
        },
        { errcode: 45009 },
      );
    }
    throw fromWeChatError(err) ?? err;
  }
}

/**
 * The browser's view of its ticket (polling and each event). The first read that finds it
 * confirmed claims the tokens (a compare-and-set, so exactly one reader on any instance wins)
 * and issues the web session.
 */
export async function browserView(
  deps: QrLoginDeps,
  id: string,
  secret: string,
  requester: Requester,
): Promise<TicketState> {
  const ticket = await ticketForBrowser(deps, id, secret);
  const now = deps.now();
  const status = effectiveStatus(ticket, now);
  const view: TicketState = {
    id: ticket.id,
    status,
    expiresIn: isFinal(status) ? 0 : Math.max(0, Math.ceil((ticket.expiresAt - now) / 1000)),
    scannedAt: ticket.scannedAt === undefined ? null : new Date(ticket.scannedAt).toISOString(),
  };
  if (status !== 'confirmed') return view;
  const claim = await deps.tickets.update(id, now, (t) => (t.delivered ? undefined : { ...t, delivered: true }));
  if (!claim?.changed || !ticket.scannedBy) return { ...view, delivered: true };
  try {
    const tokens = await deps.tokens.issueWeb({
      userId: ticket.scannedBy,
      clientId: ticket.clientId,
      ip: requester.ip,
      userAgent: requester.userAgent,
    });
    const user = await findUserById(deps.store.db, ticket.scannedBy);
    if (!user) throw new ApiError('SESSION_REVOKED', 'The account that confirmed this login is gone.');
    deps.metrics.qrLogins.inc({ event: 'delivered' });
    return {
      ...view,
      tokens: {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        tokenType: 'Bearer',
        expiresIn: tokens.expiresIn,
        user: userView(user),
      },
    };
  } catch (err) {
    // The tokens did not go out: let the next read try again rather than lose the login.
    await deps.tickets.update(id, deps.now(), (t) => ({ ...t, delivered: false })).catch(() => undefined);
    throw err;
  }
}

/** The browser gives up (DELETE): pending or scanned become cancelled. */
export async function cancelByBrowser(deps: QrLoginDeps, id: string, secret: string, ip: string): Promise<'cancelled'> {
  await ticketForBrowser(deps, id, secret);
  const now = deps.now();
  const result = await deps.tickets.update(id, now, (t) => {
    const status = effectiveStatus(t, now);
    if (status === 'cancelled') return undefined;
    if (status === 'expired') throw new ApiError('QR_LOGIN_EXPIRED');
    if (status === 'confirmed') throw new ApiError('QR_LOGIN_FINISHED');
    return { ...t, status: 'cancelled', finishedAt: now };
  });
  if (!result) throw new ApiError('QR_LOGIN_NOT_FOUND');
  if (result.changed) await changed(deps, 'qr_login.cancelled', result.ticket, { ip, details: { by: 'browser' } });
  return 'cancelled';
}

async function ticketForBrowser(deps: QrLoginDeps, id: string, secret: string): Promise<Ticket> {
  const ticket = await deps.tickets.get(id);
  if (!ticket) throw new ApiError('QR_LOGIN_NOT_FOUND');
  if (!secretMatches(ticket, secret)) throw new ApiError('QR_LOGIN_SECRET_MISMATCH');
  return ticket;
}

/** The mini program's user, from the bearer token: who scans, and in which app. */
export interface PhoneUser {
  userId: string;
  appid: string;
  ip: string;
}

/**
 * Step 2, the phone: the first user to scan holds the ticket; scanning again is harmless; another
 * user is refused, so a second person who sees the code cannot take the login over.
 */
export async function scan(deps: QrLoginDeps, who: PhoneUser, scene: string) {
  const now = deps.now();
  const result = await deps.tickets.update(await idOfScene(deps, who, scene), now, (t) => {
    const status = phoneStatus(t, who, now);
    if (status === 'confirmed' || status === 'cancelled') throw new ApiError('QR_LOGIN_FINISHED');
    if (t.scannedBy !== undefined) return undefined;
    return { ...t, status: 'scanned', scannedBy: who.userId, scannedAt: now };
  });
  if (!result) throw new ApiError('QR_LOGIN_NOT_FOUND');
  const { ticket } = result;
  if (result.changed) await changed(deps, 'qr_login.scanned', ticket, { userId: who.userId, ip: who.ip });
  const client = webClient(deps.config, ticket.clientId);
  return {
    status: 'scanned' as const,
    client: { id: client.id, name: client.name, origin: client.origins[0] ?? '' },
    browser: ticket.browser,
    createdAt: new Date(ticket.createdAt).toISOString(),
    expiresIn: Math.max(0, Math.ceil((ticket.expiresAt - now) / 1000)),
  };
}

/** Step 3, the phone: the user who scanned confirms (again: the same answer) or cancels. */
export async function finishByPhone(
  deps: QrLoginDeps,
  who: PhoneUser,
  scene: string,
  outcome: 'confirmed' | 'cancelled',
): Promise<'confirmed' | 'cancelled'> {
  const now = deps.now();
  const result = await deps.tickets.update(await idOfScene(deps, who, scene), now, (t) => {
    const status = phoneStatus(t, who, now);
    if (t.scannedBy === undefined) throw new ApiError('QR_LOGIN_NOT_SCANNED');
    if (status === outcome) return undefined;
    if (status !== 'scanned') throw new ApiError('QR_LOGIN_FINISHED');
    return { ...t, status: outcome, finishedAt: now };
  });
  if (!result) throw new ApiError('QR_LOGIN_NOT_FOUND');
  if (result.changed) {
    await changed(deps, `qr_login.${outcome}`, result.ticket, {
      userId: who.userId,
      ip: who.ip,
      details: { by: 'phone' },
    });
  }
  return outcome;
}

async function idOfScene(deps: QrLoginDeps, who: PhoneUser, scene: string): Promise<string> {
  const id = await deps.tickets.idOfScene(scene);
  if (id === undefined) throw new ApiError('QR_LOGIN_NOT_FOUND');
  // A scene drawn for another of our mini programs is not this app's to answer: it opens elsewhere.
  const ticket = await deps.tickets.get(id);
  if (!ticket || ticket.appid !== who.appid) throw new ApiError('QR_LOGIN_NOT_FOUND');
  return id;
}

/** The status as the phone may act on it: expired refused; someone else's ticket refused. */
function phoneStatus(ticket: Ticket, who: PhoneUser, now: number) {
  const status = effectiveStatus(ticket, now);
  if (status === 'expired') throw new ApiError('QR_LOGIN_EXPIRED');
  if (ticket.scannedBy !== undefined && ticket.scannedBy !== who.userId)
    throw new ApiError('QR_LOGIN_SCANNED_BY_OTHER');
  return status;
}

type QrAuditType = 'qr_login.created' | 'qr_login.scanned' | 'qr_login.confirmed' | 'qr_login.cancelled';

/** What the audit log records of a step: who (the phone's user, if any), from where, and how. */
interface Step {
  userId?: string | undefined;
  ip: string;
  details?: Record<string, unknown>;
}

/** A transition happened: tell every instance's streams, count it, record it. */
async function changed(deps: QrLoginDeps, type: QrAuditType, ticket: Ticket, step: Step): Promise<void> {
  try {
    await deps.events.publish(ticket.id);
  } catch (err) {
    // The transition is stored; streams re-read at their next heartbeat.
    deps.log.warn({ err: { message: (err as Error).message } }, 'qr-login event not published');
  }
  deps.metrics.qrLogins.inc({ event: type.slice('qr_login.'.length) });
  await audit(deps, type, ticket, step);
}

async function audit(deps: QrLoginDeps, type: QrAuditType, ticket: Ticket, step: Step): Promise<void> {
  // The ticket id only: never the secret or the scene (with a bearer, the scene confirms).
  const details = { ticket: ticket.id, client: ticket.clientId, ...step.details };
  await recordAuditEvent(
    deps.store.db,
    { type, appid: ticket.appid, userId: step.userId, ip: step.ip, details },
    deps.now(),
  );
}
