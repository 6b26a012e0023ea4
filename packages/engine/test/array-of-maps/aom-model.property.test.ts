import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno, QuiescenceDomain, createMap, type BpfMap } from '../../src/index.js';
import { onCpu, readU32, u32 } from '../lru/helpers.js';
import { INNER, outer } from './helpers.js';

// array_of_maps against a model: which inner map (a label) each index holds,
// which swapped-out maps wait for release, which were destroyed. No CPU is
// online, so a swapped-out map is released by the next change that takes the
// control lock, unless an index holds it again by then.
type Cmd =
  | { op: 'set'; index: number; label: number; flags: number }
  | { op: 'setById'; index: number; from: number; flags: number }
  | { op: 'delete'; index: number }
  | { op: 'reclaim' };

const MAX = 4;
const LABELS = 4; // matching inner maps 0..3; label 4 does not match the template
const index = fc.integer({ min: 0, max: MAX });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), index, label: fc.integer({ min: 0, max: LABELS }), flags: fc.constantFrom(0, 0, 0, 1, 2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('setById' as const), index, from: index, flags: fc.constantFrom(0, 0, 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reclaim' as const) }) },
);

class Model {
  readonly slots: (number | null)[] = new Array(MAX).fill(null);
  readonly pending = new Set<number>();
  readonly destroyed = new Set<number>();
  held(label: number): boolean {
    return this.slots.includes(label);
  }
  /** What every change under the control lock does first. */
  reclaim(): number {
    const n = this.pending.size;
    for (const p of this.pending) if (!this.held(p)) this.destroyed.add(p);
    this.pending.clear();
    return n;
  }
  install(i: number, label: number | null): number {
    const old = this.slots[i]!;
    this.slots[i] = label;
    if (old !== null && old !== label && !this.held(old)) this.pending.add(old);
    return 0;
  }
  set(i: number, label: number, flags: number): number {
    if (flags !== 0) return -Errno.EINVAL;
    if (i >= MAX) return -Errno.E2BIG;
    if (label === LABELS || this.destroyed.has(label)) return -Errno.EINVAL;
    this.reclaim();
    if (this.destroyed.has(label)) return -Errno.EINVAL;
    return this.install(i, label);
  }
  setById(i: number, from: number, flags: number): number {
    if (flags !== 0) return -Errno.EINVAL;
    if (i >= MAX) return -Errno.E2BIG;
    this.reclaim();
    const label = from < MAX ? this.slots[from]! : null;
    if (label === null) return -Errno.EINVAL;
    return this.install(i, label);
  }
  delete(i: number): number {
    if (i >= MAX) return -Errno.E2BIG;
    this.reclaim();
    if (this.slots[i] === null) return -Errno.ENOENT;
    return this.install(i, null);
  }
}

/** The marker each inner map holds at index 0: its label. */
function labelOf(m: BpfMap): number {
  return readU32(m.lookup(u32(0))!);
}

describe('array_of_maps against the model', () => {
  it('installs, swaps by id, deletes and releases like the model', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 60 }), (cmds) => {
        const domain = QuiescenceDomain.create();
        const aom = outer(MAX, INNER, domain);
        const maps = Array.from({ length: LABELS }, (_, l) => {
          const m = createMap(INNER, { domain });
          m.updateU32(0, new Uint8Array(8).fill(0).map((_, i) => (i === 0 ? l : 0)));
          return m;
        });
        maps.push(createMap({ ...INNER, valueSize: 4 }, { domain }));
        const model = new Model();
        try {
          for (const c of cmds) {
            if (c.op === 'set') expect(aom.setInner(c.index, maps[c.label]!, c.flags)).toBe(model.set(c.index, c.label, c.flags));
            else if (c.op === 'setById') {
              const id = c.from < MAX ? aom.lookup(u32(c.from)) : undefined;
              expect(aom.update(u32(c.index), id ?? u32(0x7fff0000), c.flags)).toBe(model.setById(c.index, c.from, c.flags));
            } else if (c.op === 'delete') expect(aom.deleteU32(c.index)).toBe(model.delete(c.index));
            else expect(aom.reclaim()).toBe(model.reclaim());
            for (let i = 0; i < MAX; i++) {
              const m = onCpu(0, () => aom.lookupMap(i));
              const want = model.slots[i]!;
              expect(m === undefined ? null : labelOf(m)).toBe(want);
            }
          }
          for (let l = 0; l < LABELS; l++) {
            if (model.destroyed.has(l)) expect(() => maps[l]!.lookup(u32(0))).toThrow(/destroyed/);
            else expect(labelOf(maps[l]!)).toBe(l);
          }
          const distinct = new Set(model.slots.filter((s) => s !== null));
          expect(aom.stats()).toMatchObject({ entries: model.slots.filter((s) => s !== null).length, innerMaps: distinct.size, pendingRelease: model.pending.size });
        } finally {
          aom.destroy();
          for (const m of maps) if (!(m as unknown as { header: { destroyed: boolean } }).header.destroyed) m.destroy();
        }
      }),
      { numRuns: 200 },
    );
  });
});
