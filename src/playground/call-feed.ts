import type { CallEvent } from '../emulator/index.ts';

export interface NumberedCall extends CallEvent {
  /** Increases by one per call: the page asks for the calls after the last one it showed. */
  seq: number;
}

const KEEP = 500;

/**
 * The emulator's WeChat-side calls (our server → WeChat), numbered, for the playground's trace.
 * CallEvents carry no secret, session_key, code or token, so they can be shown as they are.
 */
export class CallFeed {
  #seq = 0;
  readonly #calls: NumberedCall[] = [];

  push(event: CallEvent): void {
    this.#calls.push({ ...event, seq: ++this.#seq });
    if (this.#calls.length > KEEP) this.#calls.shift();
  }

  after(seq: number): { calls: NumberedCall[]; last: number } {
    return { calls: this.#calls.filter((c) => c.seq > seq), last: this.#seq };
  }
}
