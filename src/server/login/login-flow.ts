import type { FastifyBaseLogger } from 'fastify';
import type { AppCredentials, Config } from '../../config/config.ts';
import {
  type Identity,
  type LoginResult,
  type LoginWrites,
  recordAuditEvent,
  type Store,
  UnionIdConflictError,
  type User,
  updateUserProfile,
  upsertIdentityOnLogin,
} from '../../store/index.ts';
import type { ClientMeta, IssuedTokens, TokenService } from '../../tokens/index.ts';
import type { AccessTokenManager, Code2SessionResult, WeChatClient } from '../../wechat/client/index.ts';
import { isOpenDataError, type OpenData } from '../../wechat/crypto/index.ts';
import { ApiError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { keepAccount } from '../user-rights/account-deletion.ts';
import { fromWeChatError } from '../wechat-errors.ts';
import type { CodeExchanges } from './code-exchange.ts';
import { applyLoginPhone, phoneForLogin } from './login-phone.ts';
import { decryptWithStoredKeys, type OpenDataInput, profileFromOpenData } from './open-data.ts';
import { checkSignupRisk } from './signup-risk.ts';

export interface LoginDeps {
  store: Store;
  wechat: WeChatClient;
  tokens: TokenService;
  metrics: Metrics;
  codeExchanges: CodeExchanges;
  openDataMaxAgeSeconds: number;
  now: () => number;
  /** For the phone code a login may carry. */
  accessTokens: AccessTokenManager;
  phoneLinkPolicy: 'off' | 'link';
  /** The request's logger: refused unionid links and phone links are worth a line. */
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** The sign-up risk check's settings (./signup-risk.ts). */
  config: Pick<Config, 'signupRiskMaxRank' | 'signupRiskFailure'>;
}

export interface LoginInput {
  app: AppCredentials;
  code: string;
  /** getUserInfo / getUserProfile data to store as the profile in the same call. */
  profile?: OpenDataInput | undefined;
  /** A getPhoneNumber code: the user gets the phone number in the same round trip. */
  phoneCode?: string | undefined;
  meta: ClientMeta;
}

export interface LoginOutcome {
  tokens: IssuedTokens;
  user: User;
  identity: Identity;
  isNewUser: boolean;
  /** The decrypted profile data, when the login carried some. */
  openData: OpenData | undefined;
}

/** Flow 1: code → WeChat → (phone) → identity and user → (phone link) → (profile) → our tokens. */
export async function login(deps: LoginDeps, input: LoginInput): Promise<LoginOutcome> {
  try {
    const session = await exchangeCode(deps, input.app, input.code);
    // Before anything is asked of WeChat for the user or written: a refused sign-up leaves no trace but the audit.
    const signupRisk = await checkSignupRisk(deps, { ...session, appid: input.app.appid, ip: input.meta.ip });
    const phone = await phoneForLogin(deps, { appid: input.app.appid, openid: session.openid }, input.phoneCode);
    const who = { appid: input.app.appid, ip: input.meta.ip };
    // The common login — no profile, no phone — offers its session and audit event to the store,
    // which stores them with the identity when that is all the login writes (PostgreSQL: one
    // round trip). A login that has more to do first (a profile to decrypt, a phone to bind) must
    // not have started a session before that succeeds.
    const draft =
      input.profile === undefined && input.phoneCode === undefined
        ? deps.tokens.draft({ appid: input.app.appid, openid: session.openid, ...input.meta })
        : undefined;
    const identified = await upsertIdentity(
      deps,
      input.app.appid,
      session,
      // The store marks the event newUser when the statement that stores it created the user.
      draft && {
        session: draft.session,
        audit: { type: 'login', ...who, details: { newUser: false, ...(signupRisk && { signupRisk }) } },
      },
    );
    const linked = await applyLoginPhone(deps, identified, phone);
    const { user, openData } = await applyProfile(deps, linked, input.profile);
    // A login during the cooling-off period of a requested deletion keeps the account.
    if (user.deletionDueAt !== null) await keepAccount(deps.store.db, user.id, who, deps.now());
    // A stored draft only needs signing; otherwise its session is stored now, for the user as linked.
    const tokens = draft
      ? await (identified.written ? draft.issue(user.id) : draft.store(user.id))
      : await deps.tokens.issue({
          userId: user.id,
          appid: input.app.appid,
          openid: linked.identity.openid,
          ...input.meta,
        });
    // The user row changed (profile, phone, a deletion cancelled): instances keeping it drop it.
    if (input.profile || phone || user.deletionDueAt !== null)
      await deps.tokens.announce({ kind: 'user', id: user.id });
    deps.metrics.logins.inc({ outcome: linked.isNewUser ? 'new_user' : 'ok' });
    if (!identified.written) {
      await recordAuditEvent(
        deps.store.db,
        {
          type: 'login',
          userId: user.id,
          ...who,
          details: { newUser: linked.isNewUser, ...(signupRisk && { signupRisk }) },
        },
        deps.now(),
      );
    }
    return {
      tokens,
      user: { ...user, deletionDueAt: null },
      identity: linked.identity,
      isNewUser: linked.isNewUser,
      openData,
    };
  } catch (err) {
    // Only our own codes as labels: a driver's error code would grow the label set without bound.
    const outcome = err instanceof ApiError || isOpenDataError(err) ? err.code : 'INTERNAL';
    deps.metrics.logins.inc({ outcome });
    throw err;
  }
}

/** Duplicate requests with one code share one exchange (see CodeExchanges). */
export async function exchangeCode(deps: LoginDeps, app: AppCredentials, code: string): Promise<Code2SessionResult> {
  try {
    return await deps.codeExchanges.run(app.appid, code, () =>
      deps.wechat.code2Session({ appid: app.appid, secret: app.secret, code }),
    );
  } catch (err) {
    throw fromWeChatError(err) ?? err;
  }
}

export async function upsertIdentity(
  deps: LoginDeps,
  appid: string,
  session: Code2SessionResult,
  writes?: LoginWrites,
): Promise<LoginResult> {
  try {
    return await upsertIdentityOnLogin(
      deps.store,
      { appid, openid: session.openid, unionid: session.unionid, sessionKey: session.sessionKey },
      deps.now(),
      writes,
    );
  } catch (err) {
    if (err instanceof UnionIdConflictError) {
      // Never merged silently: an operator decides, from `weapp-auth conflicts`.
      deps.log.warn(
        { appid, userId: err.userId, otherUserId: err.otherUserId },
        'login refused: WeChat gave this identity a unionid its user cannot take (see weapp-auth conflicts)',
      );
      throw new ApiError('UNIONID_CONFLICT', undefined, { appid });
    }
    throw err;
  }
}

async function applyProfile(
  deps: LoginDeps,
  linked: LoginResult,
  profile: OpenDataInput | undefined,
): Promise<{ user: User; openData: OpenData | undefined }> {
  if (!profile) return { user: linked.user, openData: undefined };
  const openData = decryptWithStoredKeys(deps.store, linked.identity, profile, {
    maxAgeSeconds: deps.openDataMaxAgeSeconds,
    metrics: deps.metrics,
    now: deps.now(),
  });
  return { user: await saveProfile(deps, linked.user, openData), openData };
}

/**
 * Stores what the open data says about the user, unless it is all anonymous placeholders. The
 * legacy getUserInfo data only fills a nickname or an avatar the user does not have yet: what the
 * user typed or picked in the fill-in components (<input type="nickname">, chooseAvatar) wins, and
 * every login of the tutorial's flow would otherwise put WeChat's old nickname back.
 */
export async function saveProfile(deps: Pick<LoginDeps, 'store' | 'now'>, user: User, data: OpenData): Promise<User> {
  const patch = profileFromOpenData(data);
  if (user.nickname) delete patch.nickname;
  if (user.avatarUrl) delete patch.avatarUrl;
  if (Object.keys(patch).length === 0) return user;
  return (await updateUserProfile(deps.store.db, user.id, patch, deps.now())) ?? user;
}
