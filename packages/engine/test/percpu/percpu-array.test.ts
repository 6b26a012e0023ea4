import { afterEach, describe, expect, it } from 'vitest';
import { enterCpu, exitCpu } from '../../src/context.js';
import { BPF_NOEXIST, Errno } from '../../src/errno.js';
import { filled, keyOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

const CPUS = 2;
const VS = 12;
const STRIDE = 16; // roundup(12, 8)

function onCpu<T>(c: number, fn: () => T): T {
  enterCpu(c);
  try {
    return fn();
  } finally {
    exitCpu();
  }
}

function userValue(bytes: number[]): Uint8Array {
  const v = new Uint8Array(CPUS * STRIDE);
  bytes.forEach((b, c) => v.fill(b, c * STRIDE, c * STRIDE + VS));
  return v;
}

describe('PERCPU_ARRAY', () => {
  const make = useMaps();
  afterEach(() => exitCpu());
  const map = () => make({ type: 'percpu_array', keySize: 4, valueSize: VS, maxEntries: 4, nCpus: CPUS });

  it('every entry exists and starts zeroed on every CPU; userspace sees nCpus x roundup(valueSize, 8) bytes', () => {
    const m = map();
    for (let i = 0; i < 4; i++) expect(m.lookup(keyOf(i))).toEqual(new Uint8Array(CPUS * STRIDE));
    for (let c = 0; c < CPUS; c++) expect(onCpu(c, () => m.lookup(keyOf(0)))).toEqual(new Uint8Array(VS));
  });

  it('userspace writes every CPU value; a program on CPU c reads its own', () => {
    const m = map();
    expect(m.update(keyOf(2), userValue([4, 8]))).toBe(0);
    expect(m.lookup(keyOf(2))).toEqual(userValue([4, 8]));
    expect(onCpu(0, () => m.lookup(keyOf(2)))).toEqual(filled(4, VS));
    expect(onCpu(1, () => m.lookup(keyOf(2)))).toEqual(filled(8, VS));
  });

  it('a program on CPU c writes only its own slot', () => {
    const m = map();
    m.update(keyOf(1), userValue([4, 8]));
    expect(onCpu(1, () => m.update(keyOf(1), filled(66, VS)))).toBe(0);
    expect(m.lookup(keyOf(1))).toEqual(userValue([4, 66]));
    expect(onCpu(0, () => m.lookup(keyOf(1)))).toEqual(filled(4, VS));
  });

  it('keeps the array rules: NOEXIST -EEXIST, out of range -E2BIG, delete -EINVAL', () => {
    const m = map();
    expect(m.update(keyOf(0), userValue([1, 1]), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(onCpu(0, () => m.update(keyOf(4), filled(1, VS)))).toBe(-Errno.E2BIG);
    expect(m.delete(keyOf(0))).toBe(-Errno.EINVAL);
    expect(m.lookup(keyOf(0))).toEqual(new Uint8Array(CPUS * STRIDE));
  });

  it('a batch returns the userspace layout for every index', () => {
    const m = map();
    m.update(keyOf(3), userValue([5, 6]));
    const r = m.lookupBatch(null, 10);
    expect(r.err).toBe(-Errno.ENOENT);
    expect(r.count).toBe(4);
    expect(r.values[3]).toEqual(userValue([5, 6]));
    expect(r.values[0]).toEqual(new Uint8Array(CPUS * STRIDE));
  });
});
