import { describe, expect, it } from 'vitest';
import { Errno, createMap, type ArrayResizeMap } from '../../src/index.js';
import { onCpu, readU32, u32 } from '../lru/helpers.js';

const SLOT_BYTES = 16; // [seq, lock] + a 4-byte value padded to 8

function make(maxEntries = 16, extra: Record<string, unknown> = {}): ArrayResizeMap {
  return createMap({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries, arrayResize: { subArraySize: 4 }, ...extra }) as ArrayResizeMap;
}

describe('array_resize grow', () => {
  it('keys beyond the size: lookup -ENOENT, update -E2BIG; after a grow they exist, zeroed', () => {
    const map = make();
    const out = new Uint8Array(4);
    expect(map.stats()).toMatchObject({ entries: 4, subArrays: 1 });
    expect(map.lookupU32Into(5, out)).toBe(-Errno.ENOENT);
    expect(map.updateU32(5, u32(5))).toBe(-Errno.E2BIG);
    expect(map.grow()).toBe(0);
    expect(map.stats()).toMatchObject({ entries: 8, subArrays: 2, grows: 1 });
    expect(map.lookupU32Into(5, out)).toBe(0);
    expect(readU32(out)).toBe(0);
    expect(map.updateU32(5, u32(55))).toBe(0);
    expect(map.lookup(u32(5))).toEqual(u32(55));
  });

  it('a grow allocates exactly one sub-array of memory', () => {
    const map = make();
    const before = map.stats().bytes;
    expect(map.grow()).toBe(0);
    expect(map.stats().bytes - before).toBe(4 * SLOT_BYTES);
  });

  it('grow past maxEntries is -E2BIG and changes nothing', () => {
    const map = make(8);
    expect(map.grow()).toBe(0);
    const before = map.stats();
    expect(map.grow()).toBe(-Errno.E2BIG);
    expect(map.stats()).toEqual(before);
  });

  it('grow(n) adds n sub-arrays at once, or none when that passes maxEntries', () => {
    const map = make(16);
    expect(map.grow(4)).toBe(-Errno.E2BIG);
    expect(map.stats().subArrays).toBe(1);
    expect(map.grow(3)).toBe(0);
    expect(map.stats()).toMatchObject({ entries: 16, subArrays: 4, grows: 3 });
  });

  it('the last sub-array holds only the entries below maxEntries', () => {
    const map = make(10);
    expect(map.grow()).toBe(0);
    const before = map.stats().bytes;
    expect(map.grow()).toBe(0);
    expect(map.stats()).toMatchObject({ entries: 10, subArrays: 3 });
    expect(map.stats().bytes - before).toBe(2 * SLOT_BYTES);
    expect(map.updateU32(9, u32(9))).toBe(0);
    expect(map.updateU32(10, u32(10))).toBe(-Errno.E2BIG);
  });

  it('a grow that would pass spec.memoryBudget is -ENOMEM', () => {
    const probe = make(16);
    const budget = probe.stats().bytes + 4 * SLOT_BYTES;
    const map = make(16, { memoryBudget: budget });
    expect(map.grow()).toBe(0);
    expect(map.grow()).toBe(-Errno.ENOMEM);
    expect(map.stats().subArrays).toBe(2);
  });

  it('a program can grow the map (bpf_grow)', () => {
    const map = make();
    onCpu(0, () => {
      expect(map.grow()).toBe(0);
      expect(map.updateU32(7, u32(7))).toBe(0);
    });
    expect(map.lookup(u32(7))).toEqual(u32(7));
  });

  it('grow takes a positive integer count', () => {
    const map = make();
    expect(() => map.grow(0)).toThrow(RangeError);
    expect(() => map.grow(1.5)).toThrow(TypeError);
    expect(map.stats().subArrays).toBe(1);
  });
});
