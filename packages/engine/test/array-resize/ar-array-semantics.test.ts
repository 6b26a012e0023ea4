import { describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno, createMap } from '../../src/index.js';
import { readU32, u32 } from '../lru/helpers.js';

// Within its current size, array_resize is an ARRAY.
function make() {
  return createMap({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 32, arrayResize: { subArraySize: 4, initialEntries: 8 } });
}

describe('array_resize has ARRAY semantics within its size', () => {
  it('delete is -EINVAL', () => {
    const map = make();
    expect(map.deleteU32(1)).toBe(-Errno.EINVAL);
    expect(map.delete(u32(100))).toBe(-Errno.EINVAL);
  });

  it('NOEXIST is -EEXIST inside the size and -E2BIG beyond it; EXIST and F_LOCK update', () => {
    const map = make();
    expect(map.updateU32(1, u32(1), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(map.updateU32(8, u32(1), BPF_NOEXIST)).toBe(-Errno.E2BIG);
    expect(map.updateU32(1, u32(2), BPF_EXIST)).toBe(0);
    expect(map.updateU32(2, u32(3), BPF_F_LOCK)).toBe(0);
    expect([readU32(map.lookup(u32(1))!), readU32(map.lookup(u32(2))!)]).toEqual([2, 3]);
  });

  it('unknown flags are -EINVAL', () => {
    const map = make();
    expect(map.updateU32(1, u32(1), 8)).toBe(-Errno.EINVAL);
    expect(map.updateU32(1, u32(1), 3)).toBe(-Errno.EINVAL);
  });

  it('lookup-and-delete is not supported', () => {
    const map = make();
    expect(map.lookupAndDeleteInto(u32(1), new Uint8Array(4))).toBe(-Errno.ENOTSUPP);
    expect(map.lookupAndDeleteBatch(null, 4).err).toBe(-Errno.ENOTSUPP);
  });

  it('getNextKey walks the current size and follows a grow', () => {
    const map = make();
    expect([...map.keys()].map((k) => readU32(k))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const next = new Uint8Array(4);
    expect(map.getNextKey(u32(7), next)).toBe(-Errno.ENOENT);
    expect(map.getNextKey(u32(100), next)).toBe(0);
    expect(readU32(next)).toBe(0);
    expect(map.grow()).toBe(0);
    expect(map.getNextKey(u32(7), next)).toBe(0);
    expect(readU32(next)).toBe(8);
  });

  it('lookupBatch copies the current size with a cursor', () => {
    const map = make();
    for (let k = 0; k < 8; k++) expect(map.updateU32(k, u32(k * 10))).toBe(0);
    const first = map.lookupBatch(null, 5);
    expect(first).toMatchObject({ err: 0, count: 5, cursor: 5 });
    const rest = map.lookupBatch(first.cursor, 5);
    expect(rest).toMatchObject({ err: -Errno.ENOENT, count: 3, cursor: null });
    expect([...first.values, ...rest.values].map((v) => readU32(v))).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
  });

  it('atomicAdd adds to an entry and is -E2BIG beyond the size', () => {
    const map = make();
    for (let i = 0; i < 5; i++) expect(map.atomicAdd(u32(3), 0, 7)).toBe(0);
    expect(readU32(map.lookup(u32(3))!)).toBe(35);
    expect(map.atomicAdd(u32(8), 0, 1)).toBe(-Errno.E2BIG);
    expect(map.atomicAdd(u32(3), 2, 1)).toBe(-Errno.EINVAL);
  });

  it('subArraySize must be a power of two and initialEntries within maxEntries', () => {
    expect(() => createMap({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 32, arrayResize: { subArraySize: 6 } })).toThrow(RangeError);
    expect(() => createMap({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 32, arrayResize: { initialEntries: 33 } })).toThrow(RangeError);
    expect(() => createMap({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 2 ** 30, arrayResize: { subArraySize: 1 } })).toThrow(/subArraySize/);
  });
});
