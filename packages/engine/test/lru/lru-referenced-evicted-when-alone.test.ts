import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/index.js';
import { iteratedKeys, onCpu, u32 } from './helpers.js';

describe('lru_hash of one entry', () => {
  it('a referenced entry is still evicted by a new insert, from every CPU in turn', () => {
    const nCpus = 4;
    const map = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 1, nCpus });
    const out = new Uint8Array(4);
    expect(map.updateU32(100, u32(100))).toBe(0);
    let resident = 100;
    for (let c = 0; c < nCpus; c++) {
      onCpu(c, () => {
        // The resident entry is referenced by this CPU's program...
        expect(map.lookupU32Into(resident, out)).toBe(0);
        // ...and this CPU's insert still evicts it: nothing else is left.
        expect(map.updateU32(c, u32(c))).toBe(0);
        expect(map.lookupU32Into(resident, out)).toBe(-2);
      });
      expect(iteratedKeys(map)).toEqual([c]);
      resident = c;
    }
    expect(map.stats()).toMatchObject({ entries: 1, evictions: nCpus });
  });
});
