import type { QuiescenceDomain } from '../../rcu/domain.js';
import type { RetireQueue } from '../../rcu/retire.js';
import type { BucketIndex, ElementId } from '../chained/ids.js';
import { HASH } from '../chained/layout.js';
import { RELOCATED } from './layout.js';
import type { Migration } from './migration.js';
import { SHRINK_FILL, UNDERFILLED, type ElementPool } from './pool.js';
import type { Tables } from './tables.js';

/** How long one round of background upkeep may spend emptying chunks. */
const MAINTAIN_BUDGET_MS = 2;
/** How long the resizer may spend emptying chunks before it begins a shrink. */
const BEFORE_SHRINK_BUDGET_MS = 40;
/** How long it sleeps for CPUs to pass a quiescent point when the retire queue is full of chunks. */
const GRACE_NAP_MS = 0.2;

/**
 * Memory that follows the entries down: the element pool's upkeep. An
 * empty chunk is released (after its grace period its memory goes); a
 * sparse top chunk, or the top chunk of an under-filled pool, is emptied by
 * relocating its entries into lower chunks, one at a time under its bucket
 * lock (bucket, then pool: the lock order), so that it can be released too.
 */
export class Compaction {
  constructor(
    private readonly domain: QuiescenceDomain,
    private readonly words: Int32Array,
    private readonly pool: ElementPool,
    private readonly tables: Tables,
    private readonly migration: Migration,
    private readonly retire: RetireQueue,
    /** Brings this thread's view of the tables up to date. */
    private readonly refresh: () => void,
  ) {}

  /**
   * After a delete gave back an element of chunk c, `left` now live there
   * (no lock held): an empty chunk is released; a sparse top chunk is
   * emptied.
   */
  afterFree(c: number, left: number): void {
    if (left === 0 && c > 0) this.release(c);
    else if (left <= this.pool.chunk >>> 3 && c === this.pool.top() - 1) this.compact(0);
  }

  /**
   * Releases chunk c if it is empty, and only while the pool keeps a quarter
   * chunk of room without it (ElementPool.roomWithout: no make/release churn
   * at a chunk boundary).
   */
  private release(c: number): boolean {
    if (!this.pool.roomWithout(c)) return false;
    const owner = this.domain.ownerId();
    if (this.pool.releaseIfEmpty(c, owner, this.retire)) return true;
    // The retire queue may hold memory whose grace period is over.
    return this.migration.reclaim() > 0 && this.pool.releaseIfEmpty(c, owner, this.retire);
  }

  /**
   * Empties the top chunk when ElementPool.compactionCandidate names it
   * (sparse; or, `fill` above 0, in a pool at most that full): each of its
   * live entries gets an element in a lower chunk, copied in its place under
   * its bucket lock (ChainedTable.replaceLocked), and the old element goes
   * back. As with a delete, a lock-free reader still standing on the old
   * element validates against the bucket's seqlock, which the replacement
   * moved, so it retries; the chunk itself is released only after a grace
   * period. Returns whether it released the chunk.
   */
  private compact(fill: number): boolean {
    const c = this.pool.compactionCandidate(fill);
    if (c < 0) return false;
    const owner = this.domain.ownerId();
    this.domain.readBegin();
    try {
      for (const e of this.pool.liveElements(c, owner)) if (!this.relocate(e, c, owner)) return false;
    } finally {
      this.domain.readEnd();
    }
    return this.release(c);
  }

  /**
   * Moves the entry in element e (of chunk c) to a lower chunk. The entry
   * is in its old bucket in CUR, or (during a resize) in the future table:
   * each is looked at under its own lock, one at a time. False when no lower
   * chunk has room.
   */
  private relocate(e: ElementId, c: number, owner: number): boolean {
    this.refresh();
    const store = this.pool.store;
    // Read without a lock: if e was given back meanwhile, this is a free-list
    // link, and the chain search below does not find e.
    const h = store.words(e)[store.base(e) + HASH]!;
    const fut = this.tables.fut;
    for (const T of fut === null ? [this.tables.cur] : [this.tables.cur, fut]) {
      const t = T.t;
      const b = (h & t.mask) as BucketIndex;
      t.lockBucket(b, owner);
      let moved = -1 as ElementId;
      try {
        if (t.isMoved(b) || !t.holdsLocked(b, e)) continue;
        const ne = this.pool.alloc(owner, c);
        if (ne < 0) return false;
        if (!t.replaceLocked(b, e, ne)) throw new Error('rightsize: hash_resize relocation lost an element it held under its bucket lock (bug)');
        moved = e;
      } finally {
        // Back into its chunk, never a CPU's cache: the point is to empty the chunk.
        if (moved >= 0) this.pool.release(moved, owner, false);
        t.unlockBucket(b);
      }
      Atomics.add(this.words, RELOCATED, 1);
      return true;
    }
    // Deleted (or given back) since the pool listed it: nothing to move.
    return true;
  }

  /**
   * Background upkeep (the resizer's loop, stats()): reclaim what passed its
   * grace period, release empty chunks, then empty top chunks while the pool
   * is under-filled or its top chunk sparse, for up to MAINTAIN_BUDGET_MS (a
   * fast decline of the entries is followed within a few rounds, and one
   * round never holds the resizer long). Returns whether anything changed.
   */
  maintain(budgetMs = MAINTAIN_BUDGET_MS, waitForGrace = false, fill = UNDERFILLED): boolean {
    let changed = this.migration.reclaim() > 0;
    for (let c = this.pool.top() - 1; c > 0; c--) if (this.pool.liveIn(c) === 0 && this.pool.chunkId(c) > 0 && this.release(c)) changed = true;
    const until = performance.now() + budgetMs;
    for (;;) {
      if (this.compact(fill)) changed = true;
      else if (this.pool.compactionCandidate(fill) < 0) break;
      else if (this.migration.reclaim() === 0) {
        // The top chunk was emptied but not released: the retire queue is
        // full of chunks in their grace period.
        if (!waitForGrace) break;
        Atomics.wait(this.nap, 0, 0, GRACE_NAP_MS);
      }
      if (performance.now() > until) break;
    }
    if (this.migration.reclaim() > 0) changed = true;
    return changed;
  }

  /** A word nobody notifies: Atomics.wait on it is a bounded sleep. */
  private readonly nap = new Int32Array(new SharedArrayBuffer(4));

  /**
   * The deferred resizer, before it allocates a shrink's smaller table: the
   * entries went down fast (a burst of flows expiring), faster than the
   * background rounds empty chunks. Emptying them first, within
   * BEFORE_SHRINK_BUDGET_MS, keeps the shrink's extra table from coming on
   * top of element memory that the entries no longer need. Returns whether
   * that is done: nothing left to compact at SHRINK_FILL and no released
   * memory waiting for its grace period (the resizer then shrinks; else it
   * comes back to it, see Resizer.shrinkReady).
   */
  beforeShrink(): boolean {
    const until = performance.now() + BEFORE_SHRINK_BUDGET_MS;
    this.maintain(BEFORE_SHRINK_BUDGET_MS, true, SHRINK_FILL);
    // Released chunks count in the map's bytes until their grace period is
    // over: let the last ones go too (bounded by the same budget) before the
    // smaller table is allocated on top of them.
    while (this.retire.pending().length > 0 && performance.now() < until) {
      if (this.migration.reclaim() === 0) Atomics.wait(this.nap, 0, 0, GRACE_NAP_MS);
    }
    return this.pool.compactionCandidate(SHRINK_FILL) < 0 && this.retire.pending().length === 0;
  }
}
