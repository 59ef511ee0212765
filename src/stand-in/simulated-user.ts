/** An authorization dialog WeChat shows (the legacy getUserInfo prompt, getUserProfile's). */
export interface AuthorizationRequest {
  scope: string;
  api: string;
  /** getUserProfile's `desc`. */
  desc?: string;
}

export interface ModalRequest {
  title: string;
  content: string;
  confirmText: string;
  cancelText: string;
  showCancel: boolean;
}

/** The person holding the phone: answers dialogs, modals and the settings page. */
export interface SimulatedUser {
  /** The WeChat account: an emulator user name ("alice"). */
  readonly name: string;
  /** true allows, false denies. */
  authorize(request: AuthorizationRequest): boolean | Promise<boolean>;
  /** true taps the confirm button, false cancel. */
  answerModal(modal: ModalRequest): boolean | Promise<boolean>;
  /** The settings page opened by wx.openSetting: the scopes as the user leaves them. */
  editSettings(current: Readonly<Record<string, boolean>>): Record<string, boolean> | Promise<Record<string, boolean>>;
}

export type Prompt =
  | { kind: 'authorize'; request: AuthorizationRequest; allowed: boolean }
  | { kind: 'modal'; modal: ModalRequest; confirmed: boolean }
  | { kind: 'settings'; before: Record<string, boolean>; after: Record<string, boolean> };

export interface ScriptedBehaviour {
  /** Deny authorization dialogs (default false). */
  deniesDialogs?: boolean;
  /** In the settings page, turn every listed scope on (default true) or leave them as they are. */
  grantsInSettings?: boolean;
  /** Tap confirm on modals (default true). */
  confirmsModals?: boolean;
}

/** A user who answers by script; change the fields between steps. Records every prompt shown. */
export class ScriptedUser implements SimulatedUser {
  readonly name: string;
  deniesDialogs: boolean;
  grantsInSettings: boolean;
  confirmsModals: boolean;
  readonly prompts: Prompt[] = [];

  constructor(name: string, behaviour: ScriptedBehaviour = {}) {
    this.name = name;
    this.deniesDialogs = behaviour.deniesDialogs ?? false;
    this.grantsInSettings = behaviour.grantsInSettings ?? true;
    this.confirmsModals = behaviour.confirmsModals ?? true;
  }

  authorize(request: AuthorizationRequest): boolean {
    const allowed = !this.deniesDialogs;
    this.prompts.push({ kind: 'authorize', request, allowed });
    return allowed;
  }

  answerModal(modal: ModalRequest): boolean {
    this.prompts.push({ kind: 'modal', modal, confirmed: this.confirmsModals });
    return this.confirmsModals;
  }

  editSettings(current: Readonly<Record<string, boolean>>): Record<string, boolean> {
    const after = this.grantsInSettings
      ? Object.fromEntries(Object.keys(current).map((scope) => [scope, true]))
      : { ...current };
    this.prompts.push({ kind: 'settings', before: { ...current }, after });
    return after;
  }
}

export function scriptedUser(name: string, behaviour?: ScriptedBehaviour): ScriptedUser {
  return new ScriptedUser(name, behaviour);
}
