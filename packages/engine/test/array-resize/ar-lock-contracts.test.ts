import { describe, expect, it } from 'vitest';
import { setLockChecks } from '../../src/maps/chained/table.js';
import type { ArrayResizeMap } from '../../src/maps/array-resize/array-resize-map.js';
import { expectRepairContract } from '../support/lock-contracts.js';
import { useMaps } from '../support/maps.js';

// array_resize's `...Locked` methods rely on the resize lock (grow, shrink),
// an entry's lock (the repair of an entry taken over from a dead owner) or
// the repair lock. With lock checks on, each asserts that the caller holds it.

setLockChecks(true);

/** The private methods a broken caller would reach. */
interface Internals {
  growLocked(count: number): number;
  shrinkLocked(count: number): number;
  underResizeLock(fn: () => number): number;
  recoverEntryLocked(w: Int32Array, bytes: Uint8Array, base: number, area: number, e: number): void;
  refresh(): void;
  subWords: Int32Array[];
  subBytes: Uint8Array[];
  subIds: number[];
}

describe('lock contracts of array_resize (checks on)', () => {
  const make = useMaps();
  // Made with checks on: the first sub-arrays, added before any other thread can reach the map, need no lock.
  const map = () => make({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 16, arrayResize: { subArraySize: 4 } }) as ArrayResizeMap;

  it('grow and shrink need the resize lock, and change nothing without it', () => {
    const m = map();
    const r = m as unknown as Internals;
    expect(() => r.growLocked(1)).toThrow(/lock contract broken: array_resize resize lock/);
    expect(() => r.shrinkLocked(1)).toThrow(/lock contract broken: array_resize resize lock/);
    expect(m.stats()).toMatchObject({ entries: 4, subArrays: 1 });
    expect(r.underResizeLock(() => r.growLocked(1))).toBe(0);
    expect(m.stats()).toMatchObject({ entries: 8, subArrays: 2 });
    expect(r.underResizeLock(() => r.shrinkLocked(1))).toBe(0);
    expect(m.stats()).toMatchObject({ entries: 4, subArrays: 1 });
  });

  it("an entry's repair needs the entry's lock", () => {
    const r = map() as unknown as Internals;
    // This thread's view of the sub-arrays (filled on first use).
    r.refresh();
    expect(() => r.recoverEntryLocked(r.subWords[0]!, r.subBytes[0]!, 0, r.subIds[0]!, 0)).toThrow(/lock contract broken: array_resize entry lock/);
  });

  it('the repair needs the repair lock', () => {
    expectRepairContract(map());
  });
});
