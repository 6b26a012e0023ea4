import { describe, expect, it } from 'vitest';
import type { BucketIndex, ElementId } from '../../src/maps/chained/ids.js';
import { setLockChecks } from '../../src/maps/chained/table.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { keyOf, valueOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

// The `...Locked` methods rely on a lock their caller holds. With lock
// checks on (tests turn them on; RIGHTSIZE_LOCK_CHECKS=1 does it in any
// thread), each asserts that the calling thread holds it.

setLockChecks(true);

describe('lock contracts of hash_resize (checks on)', () => {
  const make = useMaps();
  const map = () => {
    const m = make({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 256, resize: { driver: 'help', autoResize: false, initialBuckets: 16, migrateBatch: 1 } }) as HashResizeMap;
    for (let k = 0; k < 10; k++) expect(m.update(keyOf(k), valueOf(k, 8))).toBe(0);
    return m;
  };

  it('a bucket method called without its bucket lock throws; with it, it works', () => {
    const m = map();
    const t = m.cur.t;
    const owner = m.domain.ownerId();
    const b = 3 as BucketIndex;
    expect(() => t.chainLocked(b, [])).toThrow(/lock contract broken: bucket 3 lock/);
    expect(() => t.findLocked(b, 0, new Int32Array(1))).toThrow(/lock contract broken/);
    t.lockBucket(b, owner);
    try {
      expect(() => t.chainLocked(b, [])).not.toThrow();
    } finally {
      t.unlockBucket(b);
    }
  });

  it('a relink without the old bucket lock, or without the new one, throws and changes nothing', () => {
    const m = map();
    expect(m.grow()).toBe(0);
    const cur = m.cur;
    const fut = m.fut!;
    const owner = m.domain.ownerId();
    let ob = 0 as BucketIndex;
    while (cur.t.isMoved(ob) || cur.t.head(ob) < 0) ob++;
    expect(() => m.migration.relinkBucketLocked(cur, fut, ob)).toThrow(/lock contract broken/);
    cur.t.lockBucket(ob, owner);
    try {
      const chain = new Int32Array(64);
      const n = cur.t.chainIntoLocked(ob, chain);
      expect(() => cur.t.moveTailLocked(ob, fut.t, ob, chain[n - 1]! as ElementId, n > 1 ? (chain[n - 2]! as ElementId) : -1)).toThrow(/lock contract broken/);
      expect(cur.t.isMoved(ob)).toBe(false);
      m.migration.relinkBucketLocked(cur, fut, ob);
      expect(cur.t.isMoved(ob)).toBe(true);
    } finally {
      cur.t.unlockBucket(ob);
    }
    while (m.resizeStep(1) > 0);
    for (let k = 0; k < 10; k++) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  });

  it('the pool rebuild needs the pool lock', () => {
    const m = map();
    expect(() => m.pool.rebuildLocked(new Uint8Array(m.pool.span() * m.pool.chunk), m.domain.ownerId())).toThrow(/lock contract broken: element pool lock/);
  });
});
