import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { randomBytesPooled } from '../../src/store/index.ts';

describe('randomBytesPooled', () => {
  it('returns the size asked for, across refills of the pool', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }), (sizes) => {
        const outs = sizes.map((size) => randomBytesPooled(size));
        for (const [i, out] of outs.entries()) assert.equal(out.length, sizes[i]);
      }),
    );
  });

  it('never hands out the same bytes twice', () => {
    // 100,000 × 16 bytes spans ~200 refills; a repeat of 128 random bits would mean reuse.
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(randomBytesPooled(16).toString('hex'));
    assert.equal(seen.size, 100_000);
  });

  it('is not constant or zero (the pool is zeroed behind the reader, not in front)', () => {
    const bytes = Buffer.concat(Array.from({ length: 1000 }, () => randomBytesPooled(32)));
    const counts = new Array(256).fill(0);
    for (const b of bytes) counts[b]++;
    // 32,000 uniform bytes: each value ~125 times; a zeroed or stuck pool would pile up on a few.
    assert.ok(Math.max(...counts) < 250, `byte histogram too uneven: max ${Math.max(...counts)}`);
    assert.ok(Math.min(...counts) > 50, `byte histogram too uneven: min ${Math.min(...counts)}`);
  });

  it('mutating a returned buffer does not change later output', () => {
    const a = randomBytesPooled(16);
    a.fill(0xaa);
    const b = randomBytesPooled(16);
    assert.notDeepEqual(b, Buffer.alloc(16, 0xaa));
  });
});
