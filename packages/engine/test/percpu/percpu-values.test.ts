import { describe, expect, it } from 'vitest';
import { createMap, type MapType } from '../../src/index.js';
import { onCpu, readU32, u32 } from '../lru/helpers.js';

// A program sees and writes its own CPU's value; userspace reads and writes
// every CPU's value at once, each padded to 8 bytes (the bpf() syscall's
// layout: nCpus x roundup(valueSize, 8) bytes).
const nCpus = 3;
const TYPES: MapType[] = ['percpu_hash', 'percpu_array', 'lru_percpu_hash'];

function make(type: MapType, valueSize = 4) {
  return createMap({ type, keySize: 4, valueSize, maxEntries: 4, nCpus });
}

describe.each(TYPES)('%s values', (type) => {
  it('values written from two CPUs are read by userspace, each in its 8-byte slot', () => {
    const map = make(type);
    if (type === 'percpu_array') expect(map.updateU32(1, new Uint8Array(nCpus * 8))).toBe(0);
    onCpu(0, () => expect(map.updateU32(1, u32(0xaaaa0000))).toBe(0));
    onCpu(2, () => expect(map.updateU32(1, u32(0xcccc0002))).toBe(0));
    const all = map.lookup(u32(1))!;
    expect(all.length).toBe(nCpus * 8);
    expect([0, 1, 2].map((c) => readU32(all, c * 8))).toEqual([0xaaaa0000, 0, 0xcccc0002]);
    // The padding after each 4-byte value stays zero.
    expect([0, 1, 2].map((c) => readU32(all, c * 8 + 4))).toEqual([0, 0, 0]);
  });

  it('a program reads its own CPU value only', () => {
    const map = make(type);
    const all = new Uint8Array(nCpus * 8);
    for (let c = 0; c < nCpus; c++) all.set(u32(100 + c), c * 8);
    expect(map.updateU32(2, all)).toBe(0);
    for (let c = 0; c < nCpus; c++) {
      const mine = onCpu(c, () => map.lookup(u32(2)));
      expect(mine).toEqual(u32(100 + c));
    }
  });

  it('a value size that is not a multiple of 8 is padded per CPU', () => {
    const map = make(type, 5);
    onCpu(1, () => expect(map.updateU32(3, new Uint8Array([1, 2, 3, 4, 5]))).toBe(0));
    const all = map.lookup(u32(3))!;
    expect(all.length).toBe(nCpus * 8);
    expect([...all.subarray(8, 16)]).toEqual([1, 2, 3, 4, 5, 0, 0, 0]);
    expect(all.subarray(0, 8).every((b) => b === 0) && all.subarray(16).every((b) => b === 0)).toBe(true);
  });

  it('atomicAdd from a program adds to its own CPU value', () => {
    const map = make(type);
    expect(map.updateU32(0, new Uint8Array(nCpus * 8))).toBe(0);
    for (let c = 0; c < nCpus; c++) onCpu(c, () => {
      for (let i = 0; i <= c; i++) expect(map.atomicAdd(u32(0), 0, 10)).toBe(0);
    });
    const all = map.lookup(u32(0))!;
    expect([0, 1, 2].map((c) => readU32(all, c * 8))).toEqual([10, 20, 30]);
  });

  it('a userspace value of the wrong size is a TypeError', () => {
    const map = make(type);
    expect(() => map.updateU32(0, u32(1))).toThrow(TypeError);
    expect(() => onCpu(0, () => map.updateU32(0, new Uint8Array(nCpus * 8)))).toThrow(TypeError);
  });
});
