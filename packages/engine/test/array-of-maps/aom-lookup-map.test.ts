import { describe, expect, it } from 'vitest';
import { Errno, createMap } from '../../src/index.js';
import { onCpu, readU32, u32 } from '../lru/helpers.js';
import { INNER, outer } from './helpers.js';

describe('array_of_maps lookups', () => {
  it("a program's lookupMap gives the inner map, ready to use", () => {
    const aom = outer();
    const inner = createMap(INNER);
    expect(aom.setInner(2, inner)).toBe(0);
    onCpu(0, () => {
      const m = aom.lookupMap(2)!;
      expect(m.spec).toMatchObject({ type: 'array', valueSize: 8, maxEntries: 16 });
      expect(m.updateU32(5, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toBe(0);
    });
    expect([...inner.lookup(u32(5))!]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('repeated lookups give the same attached object; another index holding it too', () => {
    const aom = outer();
    const inner = createMap(INNER);
    expect(aom.setInner(0, inner)).toBe(0);
    expect(aom.setInner(3, inner.handle)).toBe(0);
    const a = aom.lookupMap(0);
    expect(aom.lookupMap(0)).toBe(a);
    expect(aom.getInner(3)).toBe(a);
  });

  it('an empty or out-of-range index gives undefined', () => {
    const aom = outer();
    expect(aom.lookupMap(1)).toBeUndefined();
    expect(aom.lookupMap(4)).toBeUndefined();
    expect(() => aom.lookupMap(-1)).toThrow(TypeError);
  });

  it('a userspace lookup gives the 4-byte slot id, the same for the same inner map', () => {
    const aom = outer();
    const a = createMap(INNER);
    const b = createMap(INNER);
    expect(aom.setInner(0, a)).toBe(0);
    expect(aom.setInner(1, b)).toBe(0);
    expect(aom.setInner(2, a)).toBe(0);
    const id = (k: number) => readU32(aom.lookup(u32(k))!);
    expect(id(0)).toBeGreaterThan(0);
    expect(id(2)).toBe(id(0));
    expect(id(1)).not.toBe(id(0));
    expect(aom.lookupU32Into(3, new Uint8Array(4))).toBe(-Errno.ENOENT);
    expect(aom.lookupU32Into(9, new Uint8Array(4))).toBe(-Errno.ENOENT);
  });

  it('inner maps of every engine type work through lookupMap', () => {
    for (const inner of [
      { type: 'hash', keySize: 8, valueSize: 4, maxEntries: 8 },
      { type: 'lru_hash', keySize: 8, valueSize: 4, maxEntries: 8 },
      { type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 8, nCpus: 2 },
      { type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 8, arrayResize: { subArraySize: 4 } },
    ] as const) {
      const aom = outer(2, inner);
      const m = createMap(inner);
      expect(aom.setInner(1, m)).toBe(0);
      const key = inner.keySize === 4 ? u32(1) : new Uint8Array(inner.keySize).fill(1);
      onCpu(1, () => expect(aom.lookupMap(1)!.update(key, u32(77))).toBe(0));
      const seen = m.lookup(key)!;
      // Per-CPU: userspace sees CPU 1's value in its 8-byte slot.
      expect(readU32(seen, inner.type === 'percpu_array' ? 8 : 0)).toBe(77);
      aom.destroy();
    }
  });
});
