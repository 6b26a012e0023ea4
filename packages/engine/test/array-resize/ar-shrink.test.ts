import { describe, expect, it } from 'vitest';
import { Errno, QuiescenceDomain, createMap, type ArrayResizeMap } from '../../src/index.js';
import { u32 } from '../lru/helpers.js';

const SUB_BYTES = 4 * 16; // 4 entries of [seq, lock, value padded to 8]

function make(domain?: QuiescenceDomain): ArrayResizeMap {
  return createMap(
    { type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 16, arrayResize: { subArraySize: 4, initialEntries: 12 } },
    domain ? { domain } : {},
  ) as ArrayResizeMap;
}

describe('array_resize shrink', () => {
  it("a shrink drops the last sub-array's entries: lookup -ENOENT, update -E2BIG", () => {
    const map = make();
    expect(map.updateU32(9, u32(9))).toBe(0);
    expect(map.shrink()).toBe(0);
    expect(map.stats()).toMatchObject({ entries: 8, subArrays: 2, shrinks: 1 });
    expect(map.lookupU32Into(9, new Uint8Array(4))).toBe(-Errno.ENOENT);
    expect(map.updateU32(9, u32(9))).toBe(-Errno.E2BIG);
  });

  it('entries dropped by a shrink come back zeroed after a grow', () => {
    const map = make();
    expect(map.updateU32(9, u32(99))).toBe(0);
    expect(map.shrink()).toBe(0);
    expect(map.grow()).toBe(0);
    expect(map.lookup(u32(9))).toEqual(u32(0));
  });

  it('with no CPU online the memory is released at once', () => {
    const map = make(QuiescenceDomain.create());
    const before = map.stats().bytes;
    expect(map.shrink()).toBe(0);
    expect(map.stats()).toMatchObject({ bytes: before - SUB_BYTES, pendingRelease: 0, released: 1 });
  });

  it('memory is released only after every online CPU passed a quiescent point', () => {
    const domain = QuiescenceDomain.create();
    const map = make(domain);
    const before = map.stats().bytes;
    domain.cpuOnline(0);
    domain.cpuOnline(1);
    expect(map.shrink()).toBe(0);
    expect(map.stats()).toMatchObject({ bytes: before, pendingRelease: 1, released: 0 });
    domain.cpuQuiescent(0);
    expect(map.reclaim()).toBe(0);
    expect(map.stats().bytes).toBe(before);
    domain.cpuOffline(1);
    expect(map.reclaim()).toBe(1);
    expect(map.stats()).toMatchObject({ bytes: before - SUB_BYTES, pendingRelease: 0, released: 1 });
  });

  it('a shrink of more sub-arrays than there are is -ENOENT and changes nothing', () => {
    const map = make();
    expect(map.shrink(4)).toBe(-Errno.ENOENT);
    expect(map.shrink(3)).toBe(0);
    expect(map.stats()).toMatchObject({ entries: 0, subArrays: 0 });
    expect(map.shrink()).toBe(-Errno.ENOENT);
    expect(map.lookupU32Into(0, new Uint8Array(4))).toBe(-Errno.ENOENT);
  });

  it('too many shrinks within one grace period: -EBUSY until the queue drains', () => {
    const domain = QuiescenceDomain.create();
    const map = createMap(
      { type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 64, arrayResize: { subArraySize: 1, initialEntries: 64 } },
      { domain },
    );
    domain.cpuOnline(0);
    let shrinks = 0;
    let r = 0;
    while ((r = map.shrink()) === 0) shrinks++;
    expect(r).toBe(-Errno.EBUSY);
    expect(shrinks).toBe(map.stats().pendingRelease);
    domain.cpuQuiescent(0);
    expect(map.shrink()).toBe(0);
    expect(map.stats()).toMatchObject({ released: shrinks, pendingRelease: 1 });
  });
});
