export { buildEmulatorApp, type EmulatorApp } from './app.ts';
export { type CallCounts, type CallEvent, WECHAT_APIS, type WechatApi } from './calls.ts';
export { type AdvanceableClock, type Clock, ManualClock, OffsetClock } from './clock.ts';
export { type ContentRule, DEFAULT_CONTENT_RULES, LABELS } from './content-rules.ts';
export {
  EmulatorControl,
  type GetUserInfoOptions,
  type GetUserProfileOptions,
  type LoginResult,
  type PhoneNumberResult,
  type UserInfoResult,
  type WxFail,
} from './control.ts';
export { CONTROL_PREFIX } from './control-routes.ts';
export { type ControlErrorCode, EmulatorControlError, type UserInput } from './directory.ts';
export { ERRMSG } from './errcodes.ts';
export type { ActiveFault, FaultRule } from './faults.ts';
export {
  DEFAULT_LIMITS,
  type EmulatorAppConfig,
  type EmulatorLimits,
  type EmulatorOptions,
  type SessionKeyRotation,
} from './options.ts';
export { PHONE_TRIAL_QUOTA, type PhoneUsage, type PhoneVerification } from './phone/billing.ts';
export { ANONYMOUS_NICKNAME, GRAY_AVATAR, type UserInfo } from './phone/open-data.ts';
export type { Lang } from './phone/profiles.ts';
export { type RunningEmulator, startEmulator } from './start.ts';
export type { ResetScope } from './state.ts';
export type { AppView, CallsView, IdentityView, UserView } from './views.ts';
