import { EmulatorControlError } from '../directory.ts';
import type { Derivation } from '../ids.ts';
import { type DeliveryInfo, PushDeliveries, type PushDelivery } from './deliveries.ts';
import type { PushSettings } from './push-settings.ts';
import { buildPushRequest, type PushObject } from './push-wire.ts';

/**
 * Where the emulator's pushes start: each app's push settings and every delivery. A message is
 * sent only to an app that configured a push URL, as WeChat does.
 */
export class PushCenter {
  readonly deliveries = new PushDeliveries();
  readonly #settings = new Map<string, PushSettings>();
  readonly #initial: readonly PushSettings[];
  readonly #derive: Derivation;
  readonly #now: () => number;

  constructor(initial: readonly PushSettings[], derive: Derivation, now: () => number) {
    this.#initial = initial;
    this.#derive = derive;
    this.#now = now;
    for (const s of initial) this.#settings.set(s.appid, s);
  }

  settings(appid: string): PushSettings | undefined {
    return this.#settings.get(appid);
  }

  allSettings(): PushSettings[] {
    return [...this.#settings.values()];
  }

  configure(settings: PushSettings): void {
    this.#settings.set(settings.appid, settings);
  }

  remove(appid: string): boolean {
    return this.#settings.delete(appid);
  }

  /** The mini program's original id (`gh_` and 12 hex digits), ToUserName of its pushes. */
  originalId(appid: string): string {
    return `gh_${this.#derive.bytes(`original-id\0${appid}`).toString('hex').slice(0, 12)}`;
  }

  /** The platform's push account: FromUserName of platform events, not the user (§17.1). */
  platformAccount(): string {
    return `o${this.#derive.bytes('platform-push-account').toString('base64url').slice(0, 27)}`;
  }

  /** The fields every event starts with (§17.1, §7.3). */
  eventHeader(appid: string, event: string): PushObject {
    return {
      ToUserName: this.originalId(appid),
      FromUserName: this.platformAccount(),
      CreateTime: Math.floor(this.#now() / 1000),
      MsgType: 'event',
      Event: event,
    };
  }

  /** Sends a message to the app's push URL; refused when the app has none. */
  send(
    appid: string,
    message: PushObject,
    info: Omit<DeliveryInfo, 'appid' | 'message' | 'event'>,
    repeat = 0,
  ): PushDelivery {
    const settings = this.#settings.get(appid);
    if (!settings) {
      throw new EmulatorControlError(
        'NO_PUSH_URL',
        `${appid} has no message push configured: PUT /__emulator/apps/${appid}/push first`,
      );
    }
    const request = buildPushRequest(settings, message, this.#now());
    const event = typeof message.Event === 'string' ? message.Event : String(message.MsgType ?? 'unknown');
    return this.deliveries.deliver(
      settings,
      request,
      { ...info, appid, event, message: { ...message } },
      this.#now,
      repeat,
    );
  }

  /** Back to the settings the emulator started with; deliveries under way stop. */
  reset(): void {
    this.deliveries.clear();
    this.#settings.clear();
    for (const s of this.#initial) this.#settings.set(s.appid, s);
  }
}
