import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/index.js';
import { iteratedKeys, onCpu } from './helpers.js';

describe('lru_hash fill, reference, overflow', () => {
  it('keeps exactly the referenced and the newest entries', () => {
    const T = 64;
    const map = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 3 * T, nCpus: 2 });
    const value = new Uint8Array(4);
    const out = new Uint8Array(4);
    for (let k = 1; k <= 2 * T; k++) expect(map.updateU32(k, value)).toBe(0);
    onCpu(0, () => {
      for (let k = 1; k <= T; k++) expect(map.lookupU32Into(k, out)).toBe(0);
    });
    for (let k = 2 * T + 1; k <= 4 * T; k++) expect(map.updateU32(k, value)).toBe(0);
    // Inserts 2T+1..3T take the T free elements. The map is then full, oldest
    // first: 1..T (referenced), T+1..2T, 2T+1..3T. Insert 3T+1 walks from the
    // oldest end: 1..T get their second chance (bit cleared, moved to the
    // young end) and T+1 is evicted; each later insert evicts the next of
    // T+1..2T, the oldest unreferenced entry, so inserts 3T+1..4T evict
    // exactly T+1..2T. Left: the referenced 1..T and the newest 2T+1..4T.
    const expected = [...Array.from({ length: T }, (_, i) => i + 1), ...Array.from({ length: 2 * T }, (_, i) => 2 * T + 1 + i)];
    expect(iteratedKeys(map)).toEqual(expected);
    expect(map.stats()).toMatchObject({ entries: 3 * T, evictions: T, secondChances: T });
  });
});
