import { describe, expect, it } from 'vitest';
import { ARRAY_LOCK, ARRAY_SEQ, arraySlotWords, type ArrayMap } from '../../src/maps/array/array-map.js';
import { verify } from '../../src/verify/index.js';
import { u32 } from '../lru/helpers.js';
import { useMaps } from '../support/maps.js';

// verify() on array and percpu_array: every slot's lock free, seqlock even.

describe('verify: array and percpu_array', () => {
  const make = useMaps();

  for (const type of ['array', 'percpu_array'] as const) {
    it(`a healthy ${type} passes, every slot counted`, () => {
      const m = make({ type, keySize: 4, valueSize: 4, maxEntries: 32, nCpus: 2 }) as ArrayMap;
      for (let i = 0; i < 32; i++) expect(m.updateU32(i, new Uint8Array(m.userValueSize).fill(i))).toBe(0);
      const r = verify(m);
      expect(r.problems).toEqual([]);
      expect(r.checked.slots).toBe(32);
    });
  }

  it('an odd slot sequence and a held slot lock are reported', () => {
    const m = make({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 32 }) as ArrayMap;
    expect(m.updateU32(3, u32(3))).toBe(0);
    const stride = arraySlotWords(4);
    Atomics.add(m.slots, 3 * stride + ARRAY_SEQ, 1);
    Atomics.store(m.slots, 7 * stride + ARRAY_LOCK, 5);
    const text = verify(m).problems.join('\n');
    expect(text).toMatch(/slot 3: seqlock \d+ is odd/);
    expect(text).toMatch(/slot 7: lock held by owner 5/);
  });
});
