import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.ts';
import { isSignup, recordAuditEvent, type Store } from '../../store/index.ts';
import {
  type AccessTokenManager,
  isWeChatApiError,
  isWeChatTransportError,
  type WeChatApiError,
  type WeChatClient,
} from '../../wechat/client/index.ts';
import { ApiError } from '../errors.ts';

export interface SignupRiskDeps {
  config: Pick<Config, 'signupRiskMaxRank' | 'signupRiskFailure'>;
  store: Store;
  wechat: WeChatClient;
  accessTokens: AccessTokenManager;
  log: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  now: () => number;
}

/** What the login records about the check, in its audit event. */
export type SignupRisk =
  | { riskRank: number }
  /** WeChat could not answer and SIGNUP_RISK_FAILURE is open: the sign-up went ahead unrated. */
  | { riskRank: null; errcode?: number; transport?: string };

export interface SignupCandidate {
  appid: string;
  openid: string;
  unionid?: string | undefined;
  /** The client's address as resolved under TRUST_PROXY: WeChat rates it and cannot see it itself. */
  ip: string | undefined;
}

/**
 * The sign-up risk check (issue 12; wechat-api.md §18): with SIGNUP_RISK_MAX_RANK set, the first
 * login of a WeChat identity no user holds asks getuserriskrank (scene 0, registration) and a
 * rank above the maximum refuses the sign-up before anything is written. Returning users are not
 * checked. Undefined when no check was made.
 */
export async function checkSignupRisk(deps: SignupRiskDeps, who: SignupCandidate): Promise<SignupRisk | undefined> {
  const maxRank = deps.config.signupRiskMaxRank;
  if (maxRank === undefined) return undefined;
  if (!(await isSignup(deps.store.db, who))) return undefined;
  // Fastify always knows the peer; without an address there is nothing for WeChat to rate.
  if (!who.ip) return checkFailed(deps, who, { transport: 'no_client_ip' });
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; WeChat is given the IPv4 form.
  const clientIp = who.ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  let riskRank: number;
  try {
    ({ riskRank } = await deps.accessTokens.withAccessToken(who.appid, (accessToken) =>
      deps.wechat.getUserRiskRank({ accessToken, appid: who.appid, openid: who.openid, scene: 0, clientIp }),
    ));
  } catch (err) {
    if (isWeChatApiError(err)) return checkFailed(deps, who, { errcode: err.errcode }, err);
    if (isWeChatTransportError(err)) return checkFailed(deps, who, { transport: err.kind });
    throw err;
  }
  if (riskRank > maxRank) {
    await refuse(deps, who, { reason: 'risk_rank', riskRank, maxRank });
    throw new ApiError('SIGNUP_RISK_REFUSED');
  }
  return { riskRank };
}

async function refuse(deps: SignupRiskDeps, who: SignupCandidate, details: Record<string, unknown>): Promise<void> {
  // No user exists to hang the record on: the openid says whom a support request is about.
  await recordAuditEvent(
    deps.store.db,
    { type: 'signup.refused', appid: who.appid, ip: who.ip, details: { openid: who.openid, ...details } },
    deps.now(),
  );
}

/**
 * WeChat did not rate the user. 61010 belongs here too: WeChat answers it for accounts it never saw
 * in the mini program, which includes scripted sign-ups (wechat-api.md §18: "unknown, not safe").
 * SIGNUP_RISK_FAILURE decides: `open` signs the user up unrated, `closed` refuses with a 503.
 */
async function checkFailed(
  deps: SignupRiskDeps,
  who: SignupCandidate,
  failure: { errcode: number } | { transport: string },
  apiError?: WeChatApiError,
): Promise<SignupRisk> {
  const fields = { appid: who.appid, policy: deps.config.signupRiskFailure, ...failure };
  // A missing permission (48001: 安全风控接口 not enabled) or bad credentials will not pass by itself.
  if (apiError?.isConfigurationError) deps.log.error(fields, 'sign-up risk check failed');
  else deps.log.warn(fields, 'sign-up risk check failed');
  if (deps.config.signupRiskFailure === 'closed') {
    await refuse(deps, who, { reason: 'check_failed', ...failure });
    throw new ApiError('SIGNUP_RISK_UNAVAILABLE', undefined, 'errcode' in failure ? failure : undefined);
  }
  return { riskRank: null, ...failure };
}
