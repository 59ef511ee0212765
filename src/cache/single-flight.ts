/**
 * Coalesces concurrent calls by key within this process: while a call for a key is in flight,
 * later callers get the same promise instead of starting their own (fifty requests needing one
 * access token make one fetch). Once it settles the key is free again; results are not cached.
 */
export class SingleFlight<T> {
  readonly #inflight = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.#inflight.get(key);
    if (running) return running;
    // Started on the next microtask, so even an `fn` that throws at once settles after the map
    // holds its promise, and the cleanup below always finds and removes it.
    const promise: Promise<T> = Promise.resolve()
      .then(fn)
      .finally(() => {
        if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
      });
    this.#inflight.set(key, promise);
    return promise;
  }

  /** How many keys have a call in flight. */
  get size(): number {
    return this.#inflight.size;
  }
}
