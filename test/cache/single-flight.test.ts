import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleFlight } from '../../src/cache/index.ts';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('runs one call per key while it is in flight and shares its result', async () => {
    const flight = new SingleFlight<string>();
    const gate = deferred<string>();
    let calls = 0;
    const fn = () => {
      calls++;
      return gate.promise;
    };
    const all = Promise.all(Array.from({ length: 50 }, () => flight.run('token:wxa', fn)));
    assert.equal(flight.size, 1);
    gate.resolve('70_shared');
    assert.deepEqual(new Set(await all), new Set(['70_shared']));
    assert.equal(calls, 1);
    assert.equal(flight.size, 0);
  });

  it('starts afresh once the call settled: results are not cached', async () => {
    const flight = new SingleFlight<number>();
    let calls = 0;
    assert.equal(await flight.run('k', async () => ++calls), 1);
    assert.equal(await flight.run('k', async () => ++calls), 2);
  });

  it('keys are independent', async () => {
    const flight = new SingleFlight<string>();
    const [a, b] = await Promise.all([flight.run('a', async () => 'A'), flight.run('b', async () => 'B')]);
    assert.deepEqual([a, b], ['A', 'B']);
  });

  it('shares a rejection with every waiter, then frees the key', async () => {
    const flight = new SingleFlight<string>();
    const gate = deferred<string>();
    const waiters = [flight.run('k', () => gate.promise), flight.run('k', () => gate.promise)];
    gate.reject(new Error('upstream down'));
    for (const waiter of waiters) await assert.rejects(waiter, /upstream down/);
    assert.equal(flight.size, 0);
    assert.equal(await flight.run('k', async () => 'recovered'), 'recovered');
  });

  // Regression: an fn that threw before returning a promise left a rejected entry behind for good.
  it('an fn that throws synchronously does not poison its key', async () => {
    const flight = new SingleFlight<string>();
    await assert.rejects(
      flight.run('k', () => {
        throw new Error('sync');
      }),
      /sync/,
    );
    assert.equal(flight.size, 0);
    assert.equal(await flight.run('k', async () => 'ok'), 'ok');
  });
});
