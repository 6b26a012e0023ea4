import { describe, expect, it } from 'vitest';
import { Errno, createMap } from '../../src/index.js';
import { readU32, u32 } from '../lru/helpers.js';
import { INNER, outer } from './helpers.js';

// The 4-byte userspace value is a slot id: update(key, id) installs the inner
// map that id names (it must be held by the map now), as passing the fd of a
// map already in the array would.
describe('array_of_maps update with a 4-byte value', () => {
  it('an id the map holds installs the same inner map at another index', () => {
    const aom = outer();
    const m = createMap(INNER);
    expect(aom.setInner(0, m)).toBe(0);
    const id = aom.lookup(u32(0))!;
    expect(aom.update(u32(3), id)).toBe(0);
    expect(aom.lookupMap(3)).toBe(aom.lookupMap(0));
    expect(readU32(aom.lookup(u32(3))!)).toBe(readU32(id));
  });

  it('an id the map does not hold (or 0) is -EINVAL', () => {
    const aom = outer();
    expect(aom.setInner(0, createMap(INNER))).toBe(0);
    const id = readU32(aom.lookup(u32(0))!);
    expect(aom.updateU32(1, u32(id + 1))).toBe(-Errno.EINVAL);
    expect(aom.updateU32(1, u32(0))).toBe(-Errno.EINVAL);
    expect(aom.updateU32(1, u32(0xffffffff))).toBe(-Errno.EINVAL);
    expect(aom.stats().entries).toBe(1);
  });

  it('an id that was swapped out is no longer valid', () => {
    const aom = outer();
    expect(aom.setInner(0, createMap(INNER))).toBe(0);
    const id = aom.lookup(u32(0))!;
    expect(aom.setInner(0, createMap(INNER))).toBe(0);
    expect(aom.update(u32(1), id)).toBe(-Errno.EINVAL);
  });

  it('delete empties an index; deleting an empty index is -ENOENT', () => {
    const aom = outer();
    expect(aom.setInner(1, createMap(INNER))).toBe(0);
    expect(aom.deleteU32(1)).toBe(0);
    expect(aom.lookupMap(1)).toBeUndefined();
    expect(aom.deleteU32(1)).toBe(-Errno.ENOENT);
  });

  it('getNextKey walks every index; lookupBatch skips empty ones', () => {
    const aom = outer(4);
    expect(aom.setInner(1, createMap(INNER))).toBe(0);
    expect(aom.setInner(3, createMap(INNER))).toBe(0);
    expect([...aom.keys()].map((k) => readU32(k))).toEqual([0, 1, 2, 3]);
    const b = aom.lookupBatch(null, 10);
    expect(b).toMatchObject({ err: -Errno.ENOENT, count: 2, cursor: null });
    expect(b.keys.map((k) => readU32(k))).toEqual([1, 3]);
  });
});
