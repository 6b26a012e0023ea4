import { Errno } from '../../errno.js';
import { BOUND_PEAK, ENTRIES, FUT, MAX_ENTRIES, MAX_TABLE_BUCKETS, MIN_BUCKETS, type EntriesLimit } from './layout.js';
import type { Migration } from './migration.js';
import type { ResizeControl } from './resize-control.js';

/**
 * hash_resize's flexible upper bound (the talk: "many kernel objects may not
 * have upper bounds … may benefit from flexible upper bounds"). The bound
 * lives in a shared word (MAX_ENTRIES), set from spec.maxEntries at creation;
 * setMaxEntries moves it on the live map, from userspace or the agent:
 *
 *  - raising it is always allowed, by any amount: nothing was sized for the
 *    old bound but page 0 of the element pool's chunk directory, and the
 *    directory grows in pages as chunk indexes pass it (pool.ts). The only
 *    limit left is the engine's (entriesLimit in layout.ts: element ids are
 *    non-negative Int32 words, about 2^31 entries; a RangeError names it).
 *    The table's most buckets follow the live bound (maxBuckets);
 *  - lowering it below the live entries returns -EINVAL and changes nothing;
 *  - during a resize it returns -EBUSY (a resize's target was chosen under
 *    the old bound; R_LOCK keeps a resize from beginning meanwhile).
 *
 * spec.resize.maxEntriesCeiling is no limit any more: a pre-sizing hint for
 * the pool's chunk size (hash-resize-map.ts poolSizing).
 *
 * Flood protection: the bound is what keeps a flood of new keys from taking
 * memory without end (an insert past it gets -E2BIG, and ENTRIES is counted
 * with a compareExchange so it never passes the bound). Raising the bound
 * raises that ceiling, by the caller's decision, never by the map's own;
 * spec.memoryBudget still caps the bytes whatever the bound (a bound costs
 * no memory, so a raise does not check it; an insert that needs a chunk or
 * a directory page past it gets -ENOMEM). Lowering it stores the new bound
 * first, then reads ENTRIES: an insert that counted itself in between
 * re-reads the bound after its compareExchange and gives its count back
 * (-E2BIG), so the live entries never stay above a bound that was
 * accepted; while a lowering that will be refused is in flight, a
 * concurrent insert may meet the lower bound (-E2BIG) for that instant.
 */
export class MaxEntries {
  private cachedBound = -1;
  private cachedBuckets = 0;

  constructor(
    private readonly w: Int32Array,
    /** The engine's hard limit for this map's pool. */
    private readonly hard: EntriesLimit,
    private readonly control: ResizeControl,
  ) {}

  /** The most entries a bound may allow (stats().maxEntriesCeiling). */
  limit(): number {
    return this.hard.entries;
  }

  /** The most buckets a table may have under the live bound (the kernel HASH's sizing: the next power of two). */
  maxBuckets(): number {
    const m = Atomics.load(this.w, MAX_ENTRIES);
    if (m !== this.cachedBound) {
      let nb = MIN_BUCKETS;
      while (nb < m && nb < MAX_TABLE_BUCKETS) nb *= 2;
      this.cachedBuckets = nb;
      this.cachedBound = m;
    }
    return this.cachedBuckets;
  }

  /** See the class comment. Throws TypeError for a non-integer, RangeError below 1 or past the hard limit. */
  set(n: number, migration: Migration): number {
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`setMaxEntries: n must be an integer, got ${typeof n === 'number' ? n : typeof n}`);
    if (n < 1) throw new RangeError(`setMaxEntries: n must be at least 1, got ${n}`);
    if (n > this.hard.entries) throw new RangeError(`setMaxEntries: ${n} is past the engine's hard limit of ${this.hard.entries} entries for this map (${describeLimit(this.hard)})`);
    const w = this.w;
    migration.lockResize();
    try {
      if (Atomics.load(w, FUT) !== 0) return -Errno.EBUSY;
      const old = Atomics.load(w, MAX_ENTRIES);
      if (n === old) return 0;
      if (n < old) {
        if (Atomics.load(w, ENTRIES) > n) return -Errno.EINVAL;
        Atomics.store(w, MAX_ENTRIES, n);
        // An insert that passed the old bound's check before the store and
        // counted itself after the read above: seen here, the bound goes back.
        if (Atomics.load(w, ENTRIES) > n) {
          Atomics.store(w, MAX_ENTRIES, old);
          return -Errno.EINVAL;
        }
      } else {
        // The peak first (both sequentially consistent stores): a table a
        // grow sizes from the new bound is always within the peak.
        if (n > Atomics.load(w, BOUND_PEAK)) Atomics.store(w, BOUND_PEAK, n);
        Atomics.store(w, MAX_ENTRIES, n);
      }
      this.control.logLocked('max-entries', old, n);
      return 0;
    } finally {
      migration.unlockResize();
    }
  }
}

/** Which hard limit `l` is, in words. */
function describeLimit(l: EntriesLimit): string {
  return l.by === 'element ids'
    ? `element ids are non-negative Int32 words: ${l.chunks} chunks of ${l.chunk} elements, less room for the CPUs' element caches`
    : `its element pool's chunk directory holds ${l.chunks} chunks of ${l.chunk} elements; spec.resize.maxEntriesCeiling, a pre-sizing hint given at creation, picks bigger chunks`;
}
