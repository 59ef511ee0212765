/**
 * A faithful `wx` for Node and the browser, backed by the emulator's control API, so the SDK (or
 * any mini program code) runs for real in tests and in the playground. Not shipped to mini programs.
 */
export type {
  AgreePrivacyDetail,
  ChooseAvatarDetail,
  GetPhoneNumberDetail,
  PhoneButtonOptions,
  StandInButtons,
} from './buttons.ts';
export type { WxCallEvent, WxFailResult } from './convention.ts';
export type { PrivacyEvent, PrivacyOptions, PrivacyType } from './privacy.ts';
export {
  type AuthorizationRequest,
  type ModalRequest,
  type Prompt,
  type ScriptedBehaviour,
  ScriptedUser,
  type SimulatedUser,
  scriptedUser,
} from './simulated-user.ts';
export { MemoryStorage, type StorageArea } from './storage.ts';
export type { LocalFiles } from './upload.ts';
export { createWxStandIn, type StandInApis, type WxStandIn, type WxStandInOptions } from './wx-stand-in.ts';
