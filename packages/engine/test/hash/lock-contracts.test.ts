import { describe, expect, it } from 'vitest';
import type { BucketIndex } from '../../src/maps/chained/ids.js';
import { setLockChecks } from '../../src/maps/chained/table.js';
import type { HashMap } from '../../src/maps/hash/hash-map.js';
import { markLinked, withAllBuckets } from '../../src/maps/chained/repair.js';
import { keyOf, valueOf } from '../support/bytes.js';
import { expectRepairContract } from '../support/lock-contracts.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

// The `...Locked` methods (and the repair helpers that say "under every
// bucket lock") rely on locks their caller holds. With lock checks on, each
// asserts that the calling thread holds them.

setLockChecks(true);

describe.each(HASH_MODES)('lock contracts of HASH, $mode (checks on)', ({ flags }) => {
  const make = useMaps();
  const map = () => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64, flags }) as HashMap;
    for (let k = 0; k < 10; k++) expect(m.update(keyOf(k), valueOf(k, 8))).toBe(0);
    return m;
  };

  it('the repair needs the repair lock; under it, it runs and loses nothing', () => {
    const m = map();
    expectRepairContract(m);
    expect(m.stats().entries).toBe(10);
    for (let k = 0; k < 10; k++) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  });

  it('the census of linked elements needs every bucket lock, not only some', () => {
    const m = map();
    const t = m.table;
    const owner = m.domain.ownerId();
    expect(() => markLinked(t, t.alloc.capacity())).toThrow(/lock contract broken: bucket 0 lock/);
    const b0 = 0 as BucketIndex;
    t.lockBucket(b0, owner);
    try {
      expect(() => markLinked(t, t.alloc.capacity())).toThrow(/lock contract broken: bucket 1 lock/);
    } finally {
      t.unlockBucket(b0);
    }
    expect(withAllBuckets(t, owner, () => markLinked(t, t.alloc.capacity())).linked).toBe(10);
  });

  it('rebuilding the free list needs the allocator lock; under it, it gives nothing back and loses nothing', () => {
    const m = map();
    const t = m.table;
    const owner = m.domain.ownerId();
    withAllBuckets(t, owner, () => {
      const { reached, linked } = markLinked(t, t.alloc.capacity());
      expect(() => t.alloc.rebuildFreeList(reached, linked)).toThrow(/lock contract broken: element allocator lock/);
      t.alloc.lockForRepair(owner);
      try {
        expect(t.alloc.rebuildFreeList(reached, linked)).toBe(0);
      } finally {
        t.alloc.unlockForRepair();
      }
    });
    expect(t.alloc.lockWord()).toBe(0);
    expect(m.stats().entries).toBe(10);
    for (let k = 0; k < 10; k++) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  });
});
