import type { LockOwners } from '../locks/bucket-lock.js';
import { assertHeld, lockChecksOn } from '../locks/lock-checks.js';
import { W_REPAIR_LOCK, type MapHeader } from './header.js';

/**
 * Lock contracts, checked at run time (the kernel's __must_hold /
 * lockdep_assert_held): with lock checks on, a `...Locked` method asserts
 * that the calling thread holds the lock it names. Off by default: a
 * contract check costs one flag read, and the owner id and the lock word
 * are read only with checks on. Tests turn them on with setLockChecks(true),
 * or RIGHTSIZE_LOCK_CHECKS=1 for every thread.
 *
 * The flag and assertHeld live in locks/lock-checks.ts; they are re-exported
 * here so that the map types have one place to take every contract from.
 */
export { assertHeld, lockChecksOn };

/** With lock checks on: throws unless the calling thread holds the map's repair lock (what every repairLocked runs under). */
export function assertRepairLockHeld(header: MapHeader, owners: LockOwners): void {
  if (lockChecksOn()) assertHeld(header.words, W_REPAIR_LOCK, owners.ownerId(), 'repair lock');
}
