/** Where the emulator reads the time: every validity window (codes, tokens, quotas, visits) uses it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** A clock the control API can move forward, so tests and the playground can jump 5 minutes or 2 hours. */
export interface AdvanceableClock extends Clock {
  advance(ms: number): void;
}

export function isAdvanceable(clock: Clock): clock is AdvanceableClock {
  return typeof (clock as Partial<AdvanceableClock>).advance === 'function';
}

function checkStep(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0)
    throw new TypeError('a clock only moves forward: ms must be a finite number >= 0');
}

/** Stands still until advanced: tests get exact windows (a code 1 ms before and after its 5 minutes). */
export class ManualClock implements AdvanceableClock {
  #now: number;

  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    checkStep(ms);
    this.#now += ms;
  }
}

/** The real time plus whatever the control API added: the standalone emulator's default, so time flows but can jump. */
export class OffsetClock implements AdvanceableClock {
  #offset = 0;

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(ms: number): void {
    checkStep(ms);
    this.#offset += ms;
  }
}
