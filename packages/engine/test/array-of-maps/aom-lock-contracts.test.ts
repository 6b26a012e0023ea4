import { describe, expect, it } from 'vitest';
import { setLockChecks } from '../../src/maps/chained/table.js';
import { createMap } from '../../src/index.js';
import { expectRepairContract } from '../support/lock-contracts.js';
import { INNER, outer } from './helpers.js';

// array_of_maps's `...Locked` methods rely on its control lock (a swap, a
// reclaim) or the repair lock. With lock checks on, each asserts that the
// caller holds it.

setLockChecks(true);

/** The private methods a broken caller would reach. */
interface Internals {
  installLocked(index: number, slotId: number): number;
  applySwapLocked(index: number, slotId: number, old: number, retireOld: boolean): void;
  reclaimLocked(): number;
  withCtlLock(fn: () => number): number;
}

describe('lock contracts of array_of_maps (checks on)', () => {
  it('a swap and a reclaim need the control lock, and change nothing without it', () => {
    const aom = outer(4);
    try {
      expect(aom.setInner(0, createMap(INNER))).toBe(0);
      const a = aom as unknown as Internals;
      expect(() => a.installLocked(0, 0)).toThrow(/lock contract broken: array_of_maps control lock/);
      expect(() => a.applySwapLocked(0, 0, 0, false)).toThrow(/lock contract broken: array_of_maps control lock/);
      expect(() => a.reclaimLocked()).toThrow(/lock contract broken: array_of_maps control lock/);
      expect(aom.stats().entries).toBe(1);
      expect(a.withCtlLock(() => a.installLocked(0, 0))).toBe(0);
      expect(aom.stats().entries).toBe(0);
    } finally {
      aom.destroy();
    }
  });

  it('the repair needs the repair lock', () => {
    const aom = outer(4);
    try {
      expectRepairContract(aom);
    } finally {
      aom.destroy();
    }
  });
});
