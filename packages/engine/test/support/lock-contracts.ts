import { expect } from 'vitest';
import { lock, unlock } from '../../src/locks/bucket-lock.js';
import type { MapBase } from '../../src/maps/base.js';
import { W_REPAIR_LOCK } from '../../src/maps/header.js';

/**
 * Helpers for the lock-contract tests: each calls a `...Locked` method as a
 * broken caller would (without the lock it names) and expects it to throw,
 * then as a correct one would.
 */

/** Runs `fn` holding map m's repair lock, as MapBase.repair does. */
export function underRepairLock<T>(m: MapBase, fn: () => T): T {
  lock(m.header.words, W_REPAIR_LOCK, m.domain.ownerId(), m.domain, 'repair lock');
  try {
    return fn();
  } finally {
    unlock(m.header.words, W_REPAIR_LOCK);
  }
}

/**
 * The contract every map type's repairLocked states: without the repair
 * lock it throws; under it, it runs (and a map nobody broke gives nothing back).
 */
export function expectRepairContract(m: MapBase): void {
  // Protected: called here as a caller that skipped MapBase.repair would.
  const inner = m as unknown as { repairLocked(): number };
  expect(() => inner.repairLocked()).toThrow(/lock contract broken: repair lock/);
  expect(underRepairLock(m, () => inner.repairLocked())).toBe(0);
}
