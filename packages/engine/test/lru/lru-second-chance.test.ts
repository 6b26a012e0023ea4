import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/index.js';
import { iteratedKeys, onCpu, u32 } from './helpers.js';

// The reference bit decides who survives an eviction: a program's lookup sets
// it, a userspace lookup does not, and the unreferenced entry goes first.
function mapOf2() {
  const map = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 2, nCpus: 2 });
  expect(map.updateU32(1, u32(10))).toBe(0);
  expect(map.updateU32(2, u32(20))).toBe(0);
  return map;
}

describe('lru_hash second chance', () => {
  it('a program lookup of 1 makes insert 3 evict 2', () => {
    const map = mapOf2();
    const out = new Uint8Array(4);
    expect(onCpu(0, () => map.lookupU32Into(1, out))).toBe(0);
    expect(map.updateU32(3, u32(30))).toBe(0);
    expect(iteratedKeys(map)).toEqual([1, 3]);
    expect(map.stats().evictions).toBe(1);
  });

  it('program lookup of 1 and userspace lookup of 2: insert 3 evicts 2', () => {
    const map = mapOf2();
    // The byte-key path this time (lookup), the U32 path in the others.
    expect(onCpu(1, () => map.lookup(u32(1)))).toEqual(u32(10));
    expect(map.lookup(u32(2))).toEqual(u32(20));
    expect(map.updateU32(3, u32(30))).toBe(0);
    expect(iteratedKeys(map)).toEqual([1, 3]);
  });

  it('program lookup of 2 and userspace lookup of 1: insert 3 evicts 1', () => {
    const map = mapOf2();
    const out = new Uint8Array(4);
    expect(onCpu(0, () => map.lookupU32Into(2, out))).toBe(0);
    expect(map.lookupU32Into(1, out)).toBe(0);
    expect(map.updateU32(3, u32(30))).toBe(0);
    expect(iteratedKeys(map)).toEqual([2, 3]);
  });
});
