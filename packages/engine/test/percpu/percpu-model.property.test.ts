import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_NOEXIST, Errno, createMap, type BpfMap } from '../../src/index.js';
import { onCpu, u32 } from '../lru/helpers.js';

// percpu_hash and percpu_array against a model that keeps one value per CPU:
// a program writes and reads its own, userspace all of them (8-byte strided);
// a program's insert of a new hash key zeroes the other CPUs' values.
const nCpus = 3;
const STRIDE = 8;

type Cmd = { op: 'update'; key: number; v: number; flags: number; cpu: number } | { op: 'lookup'; key: number; cpu: number } | { op: 'delete'; key: number };

const cpu = fc.integer({ min: -1, max: nCpus - 1 });
const key = fc.integer({ min: 0, max: 7 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('update' as const), key, v: fc.nat(), flags: fc.constantFrom(0, 0, 1, 2), cpu }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('lookup' as const), key, cpu }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
);

class PercpuModel {
  readonly values = new Map<number, number[]>();
  constructor(
    readonly array: boolean,
    readonly maxEntries: number,
  ) {
    if (array) for (let k = 0; k < maxEntries; k++) this.values.set(k, new Array(nCpus).fill(0));
  }
  update(k: number, v: number, flags: number, c: number): number {
    if (this.array && k >= this.maxEntries) return -Errno.E2BIG;
    const cur = this.values.get(k);
    if (cur && flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (!cur && flags === BPF_EXIST) return -Errno.ENOENT;
    if (!cur && this.values.size >= this.maxEntries) return -Errno.E2BIG;
    const vals = cur ?? new Array(nCpus).fill(0);
    if (c >= 0) vals[c] = v;
    else for (let i = 0; i < nCpus; i++) vals[i] = v + i;
    this.values.set(k, vals);
    return 0;
  }
  lookup(k: number, c: number): number[] | undefined {
    const cur = this.values.get(k);
    return cur === undefined ? undefined : c >= 0 ? [cur[c]!] : [...cur];
  }
  delete(k: number): number {
    if (this.array) return -Errno.EINVAL;
    return this.values.delete(k) ? 0 : -Errno.ENOENT;
  }
}

function userValue(v: number): Uint8Array {
  const out = new Uint8Array(nCpus * STRIDE);
  for (let i = 0; i < nCpus; i++) out.set(u32(v + i), i * STRIDE);
  return out;
}

function words(b: Uint8Array | undefined, c: number): number[] | undefined {
  if (!b) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return c >= 0 ? [dv.getUint32(0, true)] : Array.from({ length: nCpus }, (_, i) => dv.getUint32(i * STRIDE, true));
}

function run(map: BpfMap, model: PercpuModel, cmds: Cmd[]): void {
  for (const c of cmds) {
    const go = <T>(fn: () => T): T => (c.op !== 'delete' && c.cpu >= 0 ? onCpu(c.cpu, fn) : fn());
    if (c.op === 'update') {
      go(() => expect(map.updateU32(c.key, c.cpu >= 0 ? u32(c.v) : userValue(c.v), c.flags)).toBe(model.update(c.key, c.v >>> 0, c.flags, c.cpu)));
    } else if (c.op === 'lookup') {
      go(() => expect(words(map.lookup(u32(c.key)), c.cpu)).toEqual(model.lookup(c.key, c.cpu)));
    } else {
      expect(map.deleteU32(c.key)).toBe(model.delete(c.key));
    }
  }
}

describe('per-CPU maps against a per-CPU model', () => {
  for (const type of ['percpu_hash', 'percpu_array'] as const) {
    it(`${type}: programs on every CPU and userspace`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.array(cmd, { maxLength: 80 }), (maxEntries, cmds) => {
          const map = createMap({ type, keySize: 4, valueSize: 4, maxEntries, nCpus });
          try {
            run(map, new PercpuModel(type === 'percpu_array', maxEntries), cmds);
          } finally {
            map.destroy();
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});
