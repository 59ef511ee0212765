/**
 * The error codes of the sign-up risk check (./signup-risk.ts), merged into the one catalogue
 * (../errors.ts) and documented in the README error table like every other code.
 */
export const SIGNUP_RISK_ERRORS = {
  SIGNUP_RISK_REFUSED: {
    status: 403,
    message:
      "WeChat rates this sign-up as high-risk (getuserriskrank above the server's SIGNUP_RISK_MAX_RANK); no account " +
      "was created. Ask the user to try again later from their own phone, or to contact the mini program's support.",
    zh: '微信风控认为这次注册风险较高（getuserriskrank 等级超过服务器的 SIGNUP_RISK_MAX_RANK），未创建账号。请让用户稍后用自己的手机重试，或联系小程序客服。',
  },
  SIGNUP_RISK_UNAVAILABLE: {
    status: 503,
    message:
      "WeChat's sign-up risk check could not be made and SIGNUP_RISK_FAILURE is closed; no account was created. Retry shortly.",
    zh: '无法完成微信的注册风控检测，且 SIGNUP_RISK_FAILURE 设为 closed，未创建账号；请稍后重试。',
  },
} as const;
