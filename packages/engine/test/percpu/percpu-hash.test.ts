import { afterEach, describe, expect, it } from 'vitest';
import { enterCpu, exitCpu } from '../../src/context.js';
import { BPF_NOEXIST, Errno } from '../../src/errno.js';
import { percpuValueStride } from '../../src/spec/map-spec.js';
import { filled, keyOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

const CPUS = 3;
const VS = 5;
const STRIDE = 8; // roundup(5, 8): each CPU's value is padded to 8 bytes, as the syscall lays them out

/** Runs `fn` as a program on CPU `c` (what the worker runtime does around a program). */
function onCpu<T>(c: number, fn: () => T): T {
  enterCpu(c);
  try {
    return fn();
  } finally {
    exitCpu();
  }
}

/** The userspace view: CPU c's value at c * STRIDE, filled with `bytes[c]` (padding zero). */
function userValue(bytes: number[]): Uint8Array {
  const v = new Uint8Array(CPUS * STRIDE);
  bytes.forEach((b, c) => v.fill(b, c * STRIDE, c * STRIDE + VS));
  return v;
}

describe('PERCPU_HASH', () => {
  const make = useMaps();
  afterEach(() => exitCpu());
  const map = () => make({ type: 'percpu_hash', keySize: 4, valueSize: VS, maxEntries: 8, nCpus: CPUS });

  it('userspace values are nCpus x roundup(valueSize, 8) bytes', () => {
    expect(percpuValueStride(VS)).toBe(STRIDE);
    const m = map();
    expect(m.update(keyOf(1), userValue([1, 2, 3]))).toBe(0);
    expect(m.lookup(keyOf(1))).toEqual(userValue([1, 2, 3]));
    expect(() => m.update(keyOf(2), filled(1, VS))).toThrow(/24 bytes/);
    expect(() => m.update(keyOf(2), filled(1, CPUS * VS))).toThrow(TypeError);
  });

  it('a program on CPU c sees only its own CPU value (valueSize bytes)', () => {
    const m = map();
    m.update(keyOf(1), userValue([10, 20, 30]));
    for (let c = 0; c < CPUS; c++) expect(onCpu(c, () => m.lookup(keyOf(1)))).toEqual(filled(10 * (c + 1), VS));
  });

  it('a program on CPU c writes only its own slot', () => {
    const m = map();
    m.update(keyOf(1), userValue([10, 20, 30]));
    expect(onCpu(1, () => m.update(keyOf(1), filled(99, VS)))).toBe(0);
    expect(m.lookup(keyOf(1))).toEqual(userValue([10, 99, 30]));
  });

  it('a program inserting a new key fills its own slot; the other CPUs start at zero', () => {
    const m = map();
    expect(onCpu(2, () => m.update(keyOf(5), filled(7, VS), BPF_NOEXIST))).toBe(0);
    expect(m.lookup(keyOf(5))).toEqual(userValue([0, 0, 7]));
    expect(onCpu(0, () => m.lookup(keyOf(5)))).toEqual(new Uint8Array(VS));
  });

  it('a program must pass a value of valueSize bytes, not the userspace size', () => {
    const m = map();
    expect(() => onCpu(0, () => m.update(keyOf(1), userValue([1, 2, 3])))).toThrow(/5 bytes \(valueSize\)/);
    expect(m.stats().entries).toBe(0);
  });

  it('atomicAdd from a program adds to its own CPU value only', () => {
    const m = make({ type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 8, nCpus: CPUS });
    m.update(keyOf(1), new Uint8Array(CPUS * 8));
    for (let c = 0; c < CPUS; c++) for (let i = 0; i <= c; i++) expect(onCpu(c, () => m.atomicAdd(keyOf(1), 0, 5))).toBe(0);
    const v = new DataView(m.lookup(keyOf(1))!.buffer);
    expect([0, 1, 2].map((c) => v.getUint32(c * 8, true))).toEqual([5, 10, 15]);
  });

  it('delete removes every CPU value; a CPU id >= nCpus is refused', () => {
    const m = map();
    m.update(keyOf(1), userValue([1, 2, 3]));
    expect(() => onCpu(CPUS, () => m.lookup(keyOf(1)))).toThrow(RangeError);
    expect(onCpu(0, () => m.delete(keyOf(1)))).toBe(0);
    expect(onCpu(2, () => m.lookup(keyOf(1)))).toBeUndefined();
    expect(m.lookupInto(keyOf(1), new Uint8Array(CPUS * STRIDE))).toBe(-Errno.ENOENT);
  });
});
