import {
  draftedSession,
  draftSession,
  findIdentityForUser,
  findSessionUser,
  findUserById,
  forkSession,
  isSessionActive,
  newSessionId,
  recordAuditEvent,
  revokeFamily,
  rotateSession,
  type Session,
  type SessionDraft,
  type Store,
  storeSessionDraft,
  type User,
} from '../store/index.ts';
import { type AccessTokenClaims, AccessTokenError, signAccessToken, verifyAccessToken } from './access-token.ts';
import type { KeyRing } from './key-ring.ts';
import { type Invalidation, type InvalidationBus, LiveSessions } from './live-sessions.ts';
import { hashRefreshToken, isRefreshTokenShaped, newRefreshToken } from './refresh-token.ts';
import { loadKeyRing, rotateSigningKeys } from './signing-keys.ts';

export interface TokenServiceOptions {
  store: Store;
  /** `iss` of our access tokens. */
  issuer: string;
  /** The appids we serve: an access token's `aud` must be one of them. */
  audiences: readonly string[];
  /**
   * The web clients (WEB_CLIENTS) that log in by scanning a mini-program code: their sessions'
   * tokens carry the client as `aud` and no openid. Never an appid (the config refuses that).
   */
  webAudiences?: readonly string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /**
   * A refresh token presented again this soon after it was rotated is a benign double submit
   * (a retry after a lost answer, two tabs): it gets a sibling token instead of killing the session.
   */
  reuseGraceSeconds?: number;
  /** How many verified access tokens to remember (signature checks skipped); 0 turns it off. Default 10,000. */
  verifiedTokenCacheSize?: number;
  /**
   * How ended sessions and changed users reach every instance (src/revocation). With it, session
   * liveness and the user are kept in this process (LiveSessions) while the bus vouches for its
   * feed; without it, every authenticated request asks the database.
   */
  invalidations?: InvalidationBus | undefined;
  /** How many live sessions to keep (default 10,000) and for how long at most (default 30 s). */
  liveSessionCache?: { capacity?: number; maxAgeMs?: number } | undefined;
  now?: () => number;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  /** The session (family) id, `sid` in the access token. */
  sessionId: string;
}

/** A session decided before its user is known (TokenService.draft). */
export interface SessionDraftTokens {
  /** The row to store, without its user_id. */
  readonly session: SessionDraft;
  /** The tokens, once the caller stored the row for `userId`. */
  issue(userId: string): Promise<IssuedTokens>;
  /** Stores the row for `userId` (a grouped INSERT, as `issue` on TokenService does), then the tokens. */
  store(userId: string): Promise<IssuedTokens>;
}

export interface ClientMeta {
  userAgent?: string | undefined;
  ip?: string | undefined;
}

export type RefreshErrorCode = 'REFRESH_TOKEN_INVALID' | 'REFRESH_TOKEN_REUSED' | 'SESSION_REVOKED';

export class RefreshError extends Error {
  override readonly name = 'RefreshError';
  readonly code: RefreshErrorCode;
  constructor(code: RefreshErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** How long to wait before re-reading the keys after meeting an unknown `kid` (another instance rotated). */
const KEY_RELOAD_SPACING_MS = 10_000;

/**
 * Access tokens whose signature was checked, by their exact text. A signature's validity never
 * changes while its key is published (a key leaves the JWKS only after its tokens expired), so a
 * hit skips the Ed25519 verification (the largest cost of an authenticated request) and only
 * re-checks expiry. Liveness is not decided here: LiveSessions (kept only while the invalidation
 * bus vouches for it) or the store says whether the session was ended.
 */
class VerifiedTokens {
  readonly #capacity: number;
  readonly #claims = new Map<string, Readonly<AccessTokenClaims>>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(token: string): Readonly<AccessTokenClaims> | undefined {
    return this.#claims.get(token);
  }

  set(token: string, claims: Readonly<AccessTokenClaims>): void {
    if (this.#capacity === 0) return;
    // Oldest first out: a token seen once long ago is the least likely to come back.
    if (this.#claims.size >= this.#capacity) {
      const oldest = this.#claims.keys().next().value;
      if (oldest !== undefined) this.#claims.delete(oldest);
    }
    this.#claims.set(token, claims);
  }

  delete(token: string): void {
    this.#claims.delete(token);
  }

  clear(): void {
    this.#claims.clear();
  }
}

/**
 * The credential we issue: short-lived JWT access tokens and rotating opaque refresh tokens whose
 * reuse revokes the whole session.
 */
export class TokenService {
  readonly #options: Required<Omit<TokenServiceOptions, 'store' | 'invalidations' | 'liveSessionCache'>> & {
    store: Store;
  };
  #ring: KeyRing;
  #lastReload = 0;
  readonly #verified: VerifiedTokens;
  readonly #bus: InvalidationBus | undefined;
  readonly #live: LiveSessions | undefined;

  private constructor(options: TokenServiceOptions, ring: KeyRing) {
    const { invalidations, liveSessionCache, ...rest } = options;
    this.#options = {
      reuseGraceSeconds: 10,
      verifiedTokenCacheSize: 10_000,
      now: Date.now,
      webAudiences: [],
      ...rest,
    };
    this.#ring = ring;
    this.#verified = new VerifiedTokens(this.#options.verifiedTokenCacheSize);
    this.#bus = invalidations;
    this.#live = invalidations && new LiveSessions(invalidations, liveSessionCache);
  }

  static async open(options: TokenServiceOptions): Promise<TokenService> {
    const now = (options.now ?? Date.now)();
    return new TokenService(options, await loadKeyRing(options.store, now));
  }

  jwks() {
    return this.#ring.jwks();
  }

  /** Starts a session: a new refresh-token family and an access token bound to it. */
  async issue(input: { userId: string; appid: string; openid: string } & ClientMeta): Promise<IssuedTokens> {
    return this.#draft(input, input.appid, input.openid).store(input.userId);
  }

  /**
   * A session for a login whose user is not known yet, for a caller that may store its row in a
   * statement of its own (upsertIdentityOnLogin's LoginWrites: on PostgreSQL the identity's
   * update, the session and the audit event are one round trip). Then `issue` signs for it;
   * otherwise `store` stores it as {@link issue} does.
   */
  draft(input: { appid: string; openid: string } & ClientMeta): SessionDraftTokens {
    return this.#draft(input, input.appid, input.openid);
  }

  /**
   * Starts a web session for a user who confirmed a scan-to-login on the phone: the same user
   * (`sub`), the web client as `aud`, no openid. Refreshed, revoked and listed like any session.
   */
  async issueWeb(input: { userId: string; clientId: string } & ClientMeta): Promise<IssuedTokens> {
    if (!this.#options.webAudiences.includes(input.clientId)) {
      throw new TypeError(`${input.clientId} is not one of the web clients this TokenService serves`);
    }
    return this.#draft(input, input.clientId, undefined).store(input.userId);
  }

  #draft(meta: ClientMeta, audience: string, openid: string | undefined): SessionDraftTokens {
    const now = this.#options.now();
    const id = newSessionId(now);
    const refresh = newRefreshToken(id);
    const session = draftSession(
      {
        appid: audience,
        refreshTokenHash: refresh.hash,
        expiresAt: now + this.#options.refreshTokenTtlSeconds * 1000,
        userAgent: meta.userAgent,
        ip: meta.ip,
      },
      now,
      id,
    );
    return {
      session,
      issue: (userId) => this.#tokensFor(draftedSession(session, userId), openid, refresh.token, now),
      store: async (userId) => {
        const stored = await storeSessionDraft(this.#options.store.db, session, userId);
        return this.#tokensFor(stored, openid, refresh.token, now);
      },
    };
  }

  /** Trades a refresh token for a new pair; the presented token stops working. */
  async refresh(refreshToken: unknown, meta: ClientMeta = {}): Promise<IssuedTokens> {
    if (!isRefreshTokenShaped(refreshToken)) {
      throw new RefreshError(
        'REFRESH_TOKEN_INVALID',
        'This is not a refresh token issued by this server; log in again.',
      );
    }
    const now = this.#options.now();
    const db = this.#options.store.db;
    // The successor's row is named before it is written: its token carries the name.
    const successorId = newSessionId(now);
    const next = newRefreshToken(successorId);
    const expiresAt = now + this.#options.refreshTokenTtlSeconds * 1000;
    const result = await rotateSession(
      db,
      {
        refreshTokenHash: hashRefreshToken(refreshToken),
        newRefreshTokenHash: next.hash,
        successorId,
        expiresAt,
        ...meta,
      },
      now,
    );
    let session: Session;
    switch (result.status) {
      case 'rotated':
        session = result.session;
        break;
      case 'reused':
        if (now - result.session.lastUsedAt <= this.#options.reuseGraceSeconds * 1000) {
          const sibling = { refreshTokenHash: next.hash, expiresAt, ...meta };
          session = await forkSession(db, result.session, sibling, now, successorId);
          break;
        }
        // A replaced token shown again later: someone holds a copy. End the session for everyone.
        await revokeFamily(db, result.session.familyId, 'reuse', now);
        await this.announce({ kind: 'session', id: result.session.familyId });
        await recordAuditEvent(
          db,
          { type: 'refresh.reused', userId: result.session.userId, appid: result.session.appid, ip: meta.ip },
          now,
        );
        throw new RefreshError(
          'REFRESH_TOKEN_REUSED',
          'This refresh token was already used; the session was ended to protect the account. Log in again.',
        );
      case 'revoked':
        throw new RefreshError('SESSION_REVOKED', 'This session was ended (logout or token reuse); log in again.');
      case 'expired':
      case 'unknown':
        throw new RefreshError('REFRESH_TOKEN_INVALID', 'The refresh token is unknown or expired; log in again.');
    }
    // A web session belongs to no app: its token carries no openid (the user is checked by sub).
    if (this.#options.webAudiences.includes(session.appid)) {
      if (!(await findUserById(db, session.userId))) {
        throw new RefreshError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
      }
      return this.#tokensFor(session, undefined, next.token, now);
    }
    // The rotation read the openid in the same statement; a fork (reuse within the grace) asks now.
    const openid =
      result.status === 'rotated' && result.openid !== undefined
        ? result.openid
        : (await findIdentityForUser(db, session.userId, session.appid))?.openid;
    if (!openid) throw new RefreshError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
    return this.#tokensFor(session, openid, next.token, now);
  }

  /**
   * Verifies an access token and that its session is still live, so a logout or a detected reuse
   * is refused at once on every instance (business backends verifying offline accept it until `exp`).
   */
  async verify(accessToken: string): Promise<AccessTokenClaims> {
    const claims = await this.#verifySignature(accessToken);
    const now = this.#options.now();
    if (this.#live?.get(claims.sid, claims.sub, now)) return claims;
    if (!(await isSessionActive(this.#options.store.db, claims.sid, now))) {
      throw new AccessTokenError('SESSION_REVOKED', 'This session was ended (logout or token reuse); log in again.');
    }
    return claims;
  }

  /**
   * {@link verify}, and the token's user read in the same statement as the liveness check: what
   * an authenticated route usually needs next. `user` is undefined when the session is live but
   * the account is gone. Both are kept in this process while the invalidation bus vouches for
   * its feed (LiveSessions), so a repeat costs no database round trip.
   */
  async verifyWithUser(accessToken: string): Promise<{ claims: AccessTokenClaims; user: User | undefined }> {
    const claims = await this.#verifySignature(accessToken);
    const db = this.#options.store.db;
    const now = this.#options.now();
    const cached = this.#live?.get(claims.sid, claims.sub, now);
    if (cached) return { claims, user: cached.user };
    const ticket = this.#live?.ticket();
    const found = await findSessionUser(db, claims.sid, claims.sub, now);
    if (found && found.liveUntil !== null) {
      if (ticket !== undefined) this.#live?.fill(ticket, claims.sid, found.user, found.liveUntil, now);
      return { claims, user: found.user };
    }
    if (found || !(await isSessionActive(db, claims.sid, now))) {
      throw new AccessTokenError('SESSION_REVOKED', 'This session was ended (logout or token reuse); log in again.');
    }
    return { claims, user: undefined };
  }

  /**
   * {@link verifyWithUser} answered from this process alone, synchronously, or undefined: the
   * token's signature was verified before (and it has not expired) and its session is kept live
   * with its user (LiveSessions, trusted only while the bus vouches for its feed). Then an
   * authenticated route runs without a promise (authenticate.ts); on undefined, ask verifyWithUser.
   */
  verifyFromMemory(accessToken: string): { claims: AccessTokenClaims; user: User } | undefined {
    if (!this.#live) return undefined;
    const now = this.#options.now();
    const claims = this.#knownClaims(accessToken, now);
    if (!claims) return undefined;
    const cached = this.#live.get(claims.sid, claims.sub, now);
    return cached && { claims, user: cached.user };
  }

  /** Ends a session (logout): its refresh tokens and, on every instance, its access tokens stop working. */
  async revoke(sessionId: string): Promise<void> {
    await revokeFamily(this.#options.store.db, sessionId, 'logout', this.#options.now());
    await this.announce({ kind: 'session', id: sessionId });
  }

  /**
   * Tells every instance that what it keeps about a session or a user is stale: call after the
   * change is committed (a session ended, an account deleted, a profile changed), before
   * answering, so the next request anywhere sees it. Dropped here at once; resolves when the bus
   * accepted it (it rejects when the bus cannot take it: the caller answers 503 and the client retries).
   */
  async announce(event: Invalidation): Promise<void> {
    this.#live?.forget(event);
    await this.#bus?.publish(event);
  }

  /** The in-process session cache: how many it holds, and whether the bus vouches for it now. */
  liveSessionCache(): { size: number; trusted: boolean } {
    return { size: this.#live?.size ?? 0, trusted: this.#bus?.healthy() ?? false };
  }

  async rotateKeys(): Promise<{ kid: string; retired: string[] }> {
    const now = this.#options.now();
    const result = await rotateSigningKeys(this.#options.store, {
      now,
      publishForSeconds: this.#options.accessTokenTtlSeconds + 300,
    });
    this.#setRing(await loadKeyRing(this.#options.store, now));
    return result;
  }

  async #verifySignature(token: string): Promise<AccessTokenClaims> {
    const options = {
      issuer: this.#options.issuer,
      audiences: this.#options.audiences,
      webAudiences: this.#options.webAudiences,
      now: this.#options.now(),
    };
    const known = this.#knownClaims(token, options.now);
    if (known) return known;
    let claims: AccessTokenClaims;
    try {
      claims = verifyAccessToken(this.#ring, token, options);
    } catch (err) {
      // Another instance may have rotated keys since we loaded them: re-read once in a while.
      const unknownKid = err instanceof AccessTokenError && err.refusal === 'ERR_JWKS_NO_MATCHING_KEY';
      if (!unknownKid || options.now - this.#lastReload < KEY_RELOAD_SPACING_MS) throw err;
      this.#lastReload = options.now;
      this.#setRing(await loadKeyRing(this.#options.store, options.now));
      claims = verifyAccessToken(this.#ring, token, options);
    }
    this.#verified.set(token, Object.freeze({ ...claims }));
    return claims;
  }

  /** The claims of a token whose signature this process verified before, while it has not expired. */
  #knownClaims(token: string, now: number): AccessTokenClaims | undefined {
    const known = this.#verified.get(token);
    if (!known) return undefined;
    if (known.exp > Math.floor(now / 1000)) return { ...known };
    this.#verified.delete(token);
    return undefined;
  }

  /** A new ring may have dropped a key: what it verified is forgotten with it. */
  #setRing(ring: KeyRing): void {
    this.#ring = ring;
    this.#verified.clear();
  }

  async #tokensFor(
    session: Session,
    openid: string | undefined,
    refreshToken: string,
    now: number,
  ): Promise<IssuedTokens> {
    const accessToken = signAccessToken(this.#ring, {
      userId: session.userId,
      appid: session.appid,
      sessionId: session.familyId,
      openid,
      issuer: this.#options.issuer,
      ttlSeconds: this.#options.accessTokenTtlSeconds,
      now,
    });
    return { accessToken, refreshToken, expiresIn: this.#options.accessTokenTtlSeconds, sessionId: session.familyId };
  }
}
