import type { QuiescenceDomain } from '../rcu/domain.js';
import { OWNER_MASK } from '../locks/bucket-lock.js';

/** "lock held by owner 513 (slot 0, dead)": what a checker says about a lock word that is not free. */
export function describeLock(domain: QuiescenceDomain, word: number): string {
  const owner = word & OWNER_MASK;
  const state = domain.isDeadOwner(owner) ? 'dead' : 'alive';
  return `held by owner ${owner} (slot ${domain.ownerSlot(owner)}, ${state})`;
}
