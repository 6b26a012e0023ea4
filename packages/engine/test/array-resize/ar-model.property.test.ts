import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_NOEXIST, Errno, attachMap, createMap, type ArrayResizeMap } from '../../src/index.js';
import { readU32, u32 } from '../lru/helpers.js';

// array_resize against a model (a size in sub-arrays and the values below it),
// driven through two attachments of the same map in one thread: each keeps
// its own cache of sub-array views, so one of them is always acting on views
// the other made stale (the situation of two threads, one resizing).
type Cmd =
  | { op: 'grow'; n: number; via: number }
  | { op: 'shrink'; n: number; via: number }
  | { op: 'update'; key: number; v: number; flags: number; via: number }
  | { op: 'add'; key: number; delta: number; via: number }
  | { op: 'lookup'; key: number; via: number };

class Model {
  nsub: number;
  readonly values = new Map<number, number>();
  constructor(
    readonly sub: number,
    readonly max: number,
    initial: number,
  ) {
    this.nsub = Math.ceil(initial / sub);
  }
  get size(): number {
    return Math.min(this.nsub * this.sub, this.max);
  }
  get maxSubs(): number {
    return Math.ceil(this.max / this.sub);
  }
  grow(n: number): number {
    if (this.nsub + n > this.maxSubs) return -Errno.E2BIG;
    this.nsub += n;
    return 0;
  }
  shrink(n: number): number {
    if (n > this.nsub) return -Errno.ENOENT;
    this.nsub -= n;
    for (const k of [...this.values.keys()]) if (k >= this.size) this.values.delete(k);
    return 0;
  }
  update(k: number, v: number, flags: number): number {
    if (flags > 2 && flags !== 4) return -Errno.EINVAL;
    if (k >= this.size) return -Errno.E2BIG;
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    this.values.set(k, v >>> 0);
    return 0;
  }
  add(k: number, d: number): number {
    if (k >= this.size) return -Errno.E2BIG;
    this.values.set(k, ((this.values.get(k) ?? 0) + d) >>> 0);
    return 0;
  }
  lookup(k: number): number | undefined {
    return k < this.size ? (this.values.get(k) ?? 0) : undefined;
  }
}

const via = fc.integer({ min: 0, max: 1 });
const key = fc.integer({ min: 0, max: 40 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('grow' as const), n: fc.integer({ min: 1, max: 3 }), via }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('shrink' as const), n: fc.integer({ min: 1, max: 3 }), via }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('update' as const), key, v: fc.nat(), flags: fc.constantFrom(0, 0, 1, 2, 4, 8), via }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), key, delta: fc.integer({ min: -5, max: 5 }), via }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('lookup' as const), key, via }) },
);

describe('array_resize against the model', () => {
  it('grows, shrinks, updates and lookups through two attachments', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8),
        fc.integer({ min: 1, max: 36 }),
        fc.array(cmd, { maxLength: 120 }),
        (sub, max, cmds) => {
          const a = createMap({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: max, arrayResize: { subArraySize: sub, initialEntries: 1 } }) as ArrayResizeMap;
          const b = attachMap(a.handle) as ArrayResizeMap;
          const model = new Model(sub, max, 1);
          const out = new Uint8Array(4);
          try {
            for (const c of cmds) {
              const m = c.via === 0 ? a : b;
              if (c.op === 'grow') expect(m.grow(c.n)).toBe(model.grow(c.n));
              else if (c.op === 'shrink') expect(m.shrink(c.n)).toBe(model.shrink(c.n));
              else if (c.op === 'update') expect(m.updateU32(c.key, u32(c.v), c.flags)).toBe(model.update(c.key, c.v, c.flags));
              else if (c.op === 'add') expect(m.atomicAdd(u32(c.key), 0, c.delta)).toBe(model.add(c.key, c.delta));
              else {
                const want = model.lookup(c.key);
                const r = m.lookupU32Into(c.key, out);
                expect(r === 0 ? readU32(out) : r).toBe(want ?? -Errno.ENOENT);
              }
            }
            expect(a.stats()).toMatchObject({ entries: model.size, subArrays: model.nsub });
            expect([...b.keys()].length).toBe(model.size);
          } finally {
            b.close();
            a.destroy();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
