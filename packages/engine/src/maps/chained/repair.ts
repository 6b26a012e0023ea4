import type { BucketIndex } from './ids.js';
import { NEXT } from './layout.js';
import { BUCKET_WORDS, HEAD, lockChecksOn, type ChainedTable } from './table.js';

/** The elements a repair found linked in a table's chains. */
export interface Linked {
  /** reached[e] is 1 when element e is in a chain. */
  readonly reached: Uint8Array;
  readonly linked: number;
}

/**
 * Runs `fn` holding every bucket lock of `t`, taken in index order (the lock
 * order among buckets): locks dead owners held are taken over and repaired
 * on the way (ChainedTable.lockBucket). With all of them held, no live CPU is
 * between taking an element and linking it, or between unlinking one and
 * freeing it. Only the locks actually taken are released, also on a timeout.
 */
export function withAllBuckets<T>(t: ChainedTable<unknown>, owner: number, fn: () => T): T {
  let held = 0 as BucketIndex;
  try {
    for (; held < t.nBuckets; held++) t.lockBucket(held, owner);
    return fn();
  } finally {
    for (let b = 0 as BucketIndex; b < held; b++) t.unlockBucket(b);
  }
}

/**
 * Under every bucket lock of `t`: marks the elements linked in its chains
 * (MOVED buckets hold none). Each walk is bounded by the pool, so a chain
 * that a bug made cyclic cannot hang a repair.
 */
export function markLinked(t: ChainedTable<unknown>, capacity: number): Linked {
  if (lockChecksOn()) for (let b = 0 as BucketIndex; b < t.nBuckets; b++) t.assertBucketHeld(b);
  const reached = new Uint8Array(capacity);
  let linked = 0;
  const store = t.store;
  for (let b = 0; b < t.nBuckets; b++) {
    let e = t.buckets[b * BUCKET_WORDS + HEAD]!;
    while (e >= 0 && e < capacity && reached[e] === 0) {
      reached[e] = 1;
      linked++;
      e = store.words(e)[store.base(e) + NEXT]!;
    }
  }
  return { reached, linked };
}
