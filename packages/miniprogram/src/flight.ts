/** One run at a time, shared: callers arriving while it runs get the same promise. */
export class SingleFlight<T> {
  #current: Promise<T> | undefined;

  get running(): Promise<T> | undefined {
    return this.#current;
  }

  run(fn: () => Promise<T>): Promise<T> {
    if (this.#current) return this.#current;
    const current = (async () => {
      try {
        return await fn();
      } finally {
        this.#current = undefined;
      }
    })();
    this.#current = current;
    return current;
  }
}

/** Runs tasks one after another, in call order; a failing task does not block the next. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
