import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/index.js';
import { readU32, u32 } from '../lru/helpers.js';

// slot = key >>> log2(SIZE), offset = key & (SIZE - 1): with SIZE 4, keys
// 0..3 live in sub-array 0, 4..7 in sub-array 1, and so on.
describe('array_resize key to sub-array mapping', () => {
  it('every key reads back what was written to it, across sub-array boundaries', () => {
    const map = createMap({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 16, arrayResize: { subArraySize: 4, initialEntries: 16 } });
    expect(map.stats()).toMatchObject({ entries: 16, subArrays: 4, subArraySize: 4 });
    for (let k = 0; k < 16; k++) expect(map.updateU32(k, u32(1000 + k))).toBe(0);
    const out = new Uint8Array(4);
    for (let k = 0; k < 16; k++) {
      expect(map.lookupU32Into(k, out)).toBe(0);
      expect(readU32(out)).toBe(1000 + k);
    }
  });

  it('dropping the last sub-array removes exactly keys 12..15', () => {
    const map = createMap({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 16, arrayResize: { subArraySize: 4, initialEntries: 16 } });
    for (let k = 0; k < 16; k++) expect(map.updateU32(k, u32(1000 + k))).toBe(0);
    expect(map.shrink()).toBe(0);
    const out = new Uint8Array(4);
    for (let k = 0; k < 16; k++) {
      const r = map.lookupU32Into(k, out);
      if (k < 12) expect([r, readU32(out)]).toEqual([0, 1000 + k]);
      else expect(r).toBe(-2);
    }
  });

  it('byte keys and U32 keys address the same entries (little-endian)', () => {
    const map = createMap({ type: 'array_resize', keySize: 4, valueSize: 8, maxEntries: 4096, arrayResize: { subArraySize: 256, initialEntries: 4096 } });
    expect(map.update(u32(0x0123), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toBe(0);
    const out = new Uint8Array(8);
    expect(map.lookupU32Into(0x0123, out)).toBe(0);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
