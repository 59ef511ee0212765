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
export type { PushAttempt, PushDelivery } from './push/deliveries.ts';
export {
  DEFAULT_MEDIA_CHECK_POLICY,
  type MediaCheck,
  type MediaCheckPolicy,
  type MediaVerdict,
} from './push/media-checks.ts';
export type { PushControl, PushSettingsView } from './push/push-control.ts';
export {
  PUSH_DEFAULTS,
  type PushFormat,
  type PushMode,
  type PushSettings,
  type PushSettingsInput,
  parsePushSpec,
  parsePushSpecs,
} from './push/push-settings.ts';
export { USER_ACTIONS, type UserAction, type UserActionInput } from './push/user-events.ts';
export { type RunningEmulator, startEmulator } from './start.ts';
export type { ResetScope } from './state.ts';
export type { AppView, CallsView, IdentityView, UserView } from './views.ts';
