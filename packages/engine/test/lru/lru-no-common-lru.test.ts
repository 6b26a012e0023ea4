import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/index.js';
import { iteratedKeys, onCpu, u32 } from './helpers.js';

// noCommonLru: maxEntries is split across nCpus lists (here 2 + 2); a program
// takes elements from, and evicts from, its own CPU's list only.
function perCpuLru(maxEntries = 4) {
  return createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries, nCpus: 2, flags: { noCommonLru: true } });
}

describe('lru_hash with per-CPU LRU lists', () => {
  it('a CPU evicts its own oldest entry, not an older one of another CPU', () => {
    const map = perCpuLru();
    onCpu(1, () => [3, 4].forEach((k) => expect(map.updateU32(k, u32(k))).toBe(0)));
    onCpu(0, () => [1, 2].forEach((k) => expect(map.updateU32(k, u32(k))).toBe(0)));
    onCpu(0, () => expect(map.updateU32(5, u32(5))).toBe(0));
    expect(iteratedKeys(map)).toEqual([2, 3, 4, 5]);
    onCpu(1, () => expect(map.updateU32(6, u32(6))).toBe(0));
    expect(iteratedKeys(map)).toEqual([2, 4, 5, 6]);
    expect(map.stats()).toMatchObject({ lists: 2, commonLru: false, evictions: 2 });
  });

  it("a CPU's share is its room: its third insert evicts although the other list is empty", () => {
    const map = perCpuLru();
    onCpu(0, () => [1, 2, 3].forEach((k) => expect(map.updateU32(k, u32(k))).toBe(0)));
    expect(iteratedKeys(map)).toEqual([2, 3]);
    expect(map.stats()).toMatchObject({ entries: 2, evictions: 1 });
  });

  it("a program's reference gives a second chance within its CPU's list", () => {
    const map = perCpuLru();
    const out = new Uint8Array(4);
    onCpu(0, () => {
      expect(map.updateU32(1, u32(1))).toBe(0);
      expect(map.updateU32(2, u32(2))).toBe(0);
      expect(map.lookupU32Into(1, out)).toBe(0);
      expect(map.updateU32(3, u32(3))).toBe(0);
    });
    expect(iteratedKeys(map)).toEqual([1, 3]);
  });

  it("a delete from another CPU gives the room back to the owner's list", () => {
    const map = perCpuLru();
    onCpu(0, () => [1, 2].forEach((k) => expect(map.updateU32(k, u32(k))).toBe(0)));
    onCpu(1, () => expect(map.deleteU32(1)).toBe(0));
    onCpu(0, () => expect(map.updateU32(5, u32(5))).toBe(0));
    expect(iteratedKeys(map)).toEqual([2, 5]);
    expect(map.stats().evictions).toBe(0);
  });

  it('userspace fills every list, then evicts from the lists in turn', () => {
    const map = perCpuLru();
    for (let k = 1; k <= 4; k++) expect(map.updateU32(k, u32(k))).toBe(0);
    expect(map.stats()).toMatchObject({ entries: 4, evictions: 0 });
    // Userspace filled list 0 with 1, 2 and list 1 with 3, 4; its evictions
    // then take list 0's oldest, then list 1's.
    expect(map.updateU32(5, u32(5))).toBe(0);
    expect(iteratedKeys(map)).toEqual([2, 3, 4, 5]);
    expect(map.updateU32(6, u32(6))).toBe(0);
    expect(iteratedKeys(map)).toEqual([2, 4, 5, 6]);
  });

  it('an uneven split gives the first lists one element more', () => {
    const map = perCpuLru(5);
    onCpu(0, () => [1, 2, 3].forEach((k) => expect(map.updateU32(k, u32(k))).toBe(0)));
    onCpu(1, () => [4, 5, 6].forEach((k) => expect(map.updateU32(k, u32(k))).toBe(0)));
    expect(iteratedKeys(map)).toEqual([1, 2, 3, 5, 6]);
    expect(map.stats()).toMatchObject({ entries: 5, evictions: 1 });
  });
});
