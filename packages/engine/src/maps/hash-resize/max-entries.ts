import { Errno } from '../../errno.js';
import type { NormalizedSpec } from '../../spec/map-spec.js';
import { ENTRIES, FUT, MAX_ENTRIES, MAX_TABLE_BUCKETS, MIN_BUCKETS } from './layout.js';
import type { Migration } from './migration.js';
import type { ResizeControl } from './resize-control.js';

/**
 * hash_resize's flexible upper bound (the talk: "many kernel objects may not
 * have upper bounds … may benefit from flexible upper bounds"). The bound
 * lives in a shared word (MAX_ENTRIES), set from spec.maxEntries at creation;
 * setMaxEntries moves it on the live map, from userspace or the agent:
 *
 *  - raising it (up to spec.resize.maxEntriesCeiling, which the element
 *    pool's directory was sized for) is always allowed;
 *  - lowering it below the live entries returns -EINVAL and changes nothing;
 *  - during a resize it returns -EBUSY (a resize's target was chosen under
 *    the old bound; R_LOCK keeps a resize from beginning meanwhile).
 *
 * Flood protection: the bound is what keeps a flood of new keys from taking
 * memory without end (an insert past it gets -E2BIG, and ENTRIES is counted
 * with a compareExchange so it never passes the bound). Raising the bound
 * raises that ceiling, by the caller's decision, never by the map's own;
 * spec.memoryBudget still caps the bytes whatever the bound. Lowering it
 * stores the new bound first, then reads ENTRIES: an insert that counted
 * itself in between re-reads the bound after its compareExchange and gives
 * its count back (-E2BIG), so the live entries never stay above a bound
 * that was accepted; while a lowering that will be refused is in flight, a
 * concurrent insert may meet the lower bound (-E2BIG) for that instant.
 */
export class MaxEntries {
  readonly ceiling: number;
  private cachedBound = -1;
  private cachedBuckets = 0;

  constructor(
    private readonly w: Int32Array,
    spec: NormalizedSpec,
    private readonly control: ResizeControl,
  ) {
    this.ceiling = Math.max(spec.maxEntries, spec.resize.maxEntriesCeiling);
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

  /** See the class comment. Throws TypeError/RangeError for a bound that is not an integer in 1..ceiling. */
  set(n: number, migration: Migration): number {
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`setMaxEntries: n must be an integer, got ${typeof n === 'number' ? n : typeof n}`);
    if (n < 1 || n > this.ceiling) throw new RangeError(`setMaxEntries: n must be in 1..${this.ceiling} (spec.resize.maxEntriesCeiling), got ${n}`);
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
      } else Atomics.store(w, MAX_ENTRIES, n);
      this.control.logLocked('max-entries', old, n);
      return 0;
    } finally {
      migration.unlockResize();
    }
  }
}
