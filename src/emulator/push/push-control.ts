import { EmulatorControlError } from '../directory.ts';
import type { EmulatorState } from '../state.ts';
import type { PushDelivery } from './deliveries.ts';
import { type MediaCheck, type MediaCheckPolicy, validateMediaCheckPolicy } from './media-checks.ts';
import { pushSettingsView, validatePushSettings } from './push-settings.ts';
import { verifyPushUrl } from './push-wire.ts';
import { type UserActionInput, userAction } from './user-events.ts';

export type PushSettingsView = ReturnType<typeof pushSettingsView>;

/**
 * WeChat's server-to-server side of the emulator: the message-push settings of each app, what
 * the simulated user does in WeChat's settings (revocations, account deletion), and media checks.
 * `EmulatorControl.push` in process; /__emulator/… over HTTP (push-control-routes.ts).
 */
export class PushControl {
  readonly #state: EmulatorState;

  constructor(state: EmulatorState) {
    this.#state = state;
  }

  /**
   * Saves an app's push settings. Like mp.weixin.qq.com, first runs the URL check (a signed GET
   * whose answer must be exactly echostr) unless `verify` is false.
   */
  async configure(
    appid: string,
    input: Record<string, unknown>,
    options: { verify?: boolean } = {},
  ): Promise<PushSettingsView> {
    const app = this.#state.phoneApp(appid);
    let settings: ReturnType<typeof validatePushSettings>;
    try {
      settings = validatePushSettings({ ...input, appid: app.appid });
    } catch (err) {
      throw new EmulatorControlError('INVALID_ARGUMENT', (err as Error).message);
    }
    if (options.verify !== false) {
      try {
        await verifyPushUrl(settings, this.#state.now());
      } catch (err) {
        throw new EmulatorControlError('PUSH_URL_CHECK_FAILED', (err as Error).message);
      }
    }
    this.#state.push.configure(settings);
    return pushSettingsView(settings);
  }

  settings(): PushSettingsView[] {
    return this.#state.push.allSettings().map(pushSettingsView);
  }

  remove(appid: string): boolean {
    return this.#state.push.remove(appid);
  }

  /** The user revokes in WeChat's settings (or deletes the account): state changes, then the push. */
  userAction(input: UserActionInput): PushDelivery[] {
    return userAction(this.#state, input);
  }

  deliveries(appid?: string): PushDelivery[] {
    return this.#state.push.deliveries.list(appid);
  }

  delivery(id: number): PushDelivery {
    const found = this.#state.push.deliveries.get(id);
    if (!found) throw new EmulatorControlError('INVALID_ARGUMENT', `no push delivery ${id}`);
    return found;
  }

  /** Waits until the delivery is done: delivered, or failed after WeChat's retries. */
  async settled(id: number): Promise<PushDelivery> {
    const found = await this.#state.push.deliveries.settled(id);
    if (!found) throw new EmulatorControlError('INVALID_ARGUMENT', `no push delivery ${id}`);
    return found;
  }

  /** Every delivery as it starts, after each failed attempt and when it settles. */
  onDelivery(listener: (delivery: PushDelivery) => void): () => void {
    return this.#state.push.deliveries.listen(listener);
  }

  mediaChecks(): MediaCheck[] {
    return this.#state.mediaChecks.list();
  }

  mediaCheckPolicy(): MediaCheckPolicy {
    return { ...this.#state.mediaChecks.policy };
  }

  /** How later checks are decided: verdict, label, delay (null: hold until decided), download. */
  setMediaCheckPolicy(input: Partial<MediaCheckPolicy>): MediaCheckPolicy {
    this.#state.mediaChecks.policy = validateMediaCheckPolicy({ ...this.#state.mediaChecks.policy, ...input });
    return this.mediaCheckPolicy();
  }

  /** Pushes the verdict of a pending check now (the policy's verdict unless one is given). */
  decideMediaCheck(traceId: string, input: { verdict?: unknown; label?: unknown } = {}): Promise<MediaCheck> {
    return this.#state.mediaChecks.decide(traceId, input);
  }
}
