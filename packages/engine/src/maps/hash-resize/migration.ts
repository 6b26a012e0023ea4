import { Errno } from '../../errno.js';
import { OWNER_MASK, lockRecover, unlock } from '../../locks/bucket-lock.js';
import type { SegmentStore } from '../../memory/segments.js';
import type { RecoveryLog } from '../../recovery/log.js';
import type { QuiescenceDomain } from '../../rcu/domain.js';
import type { RetireQueue } from '../../rcu/retire.js';
import type { NormalizedSpec } from '../../spec/map-spec.js';
import { W_LOCKS_RECOVERED, type MapHeader } from '../header.js';
import { BUCKET_WORDS, HEAD, RelinkScratch, assertHeld } from '../chained/table.js';
import type { BucketIndex, ElementId } from '../chained/ids.js';
import { NEXT } from '../chained/layout.js';
import { CUR, CURSOR, DIR, DONE, DRIVER_OWNER, ENTRIES, EPOCH, FUT, GROW, GROWS, MIN_BUCKETS, NEXT_SEG, OLD_NB, RETIRE_SLOTS, R_LOCK, SHRINKS, TIME_BYTE_OFFSET, tableWords } from './layout.js';
import { nextOf, type ElementPool } from './pool.js';
import { maxGrowTo, type Reason } from './controller.js';
import type { ResizeControl } from './resize-control.js';
import { Tables, type TableView } from './tables.js';

/**
 * Batches claimed at once by a thread that migrates a whole resize (the
 * resizer thread, an inline driver): each claim costs about 120 ns (R_LOCK,
 * the claim record, a read section, DONE), 1.9 ns per old bucket at
 * 64-bucket batches, 0.2 ns at 8 of them.
 */
export const WHOLE_RESIZE_BATCHES = 8;

/**
 * A resize: begin (publish the next bucket array as FUT), migrate (relink
 * every old bucket's elements into FUT, batch by batch, by whoever the
 * driver says), finish (FUT becomes CUR, the old bucket array waits for its
 * grace period). The elements never move in memory: the extra memory of a
 * resize is one bucket array.
 *
 * Lock order, everywhere in hash_resize:
 *   R_LOCK -> an old table's bucket -> a new table's bucket -> the pool lock.
 * Within one table, a thread holds one bucket lock at a time, except the
 * repair, which takes all of them in index order (maps/chained/repair.ts), a
 * migrator, which holds the new buckets its old bucket's elements go to
 * (two in a doubling, up to eight in an adaptive grow, 64 to its floor;
 * ChainedTable.relinkLocked says why that cannot deadlock), and the stable walk, which holds the old
 * buckets of one hash class in index order, then its new ones (stable-walk.ts).
 * A writer never holds an old and a new bucket at once; only migrators do,
 * old first (ChainedTable.migrateRange and relinkLocked, finishRelink).
 *
 * Deaths (recovery/log.ts): R_LOCK taken over closes or rolls back a
 * half-written table switch (recoverResizeLock); a migrator records its
 * claimed batch, and one that finds nothing left to claim takes over a
 * batch whose claimer died; the switch to the new table waits until every
 * old bucket is MOVED (checked under R_LOCK, per completed batch or per
 * bucket: finishResize), never on a count; an old
 * bucket's lock taken over from a migrator that died mid-relink completes
 * that element's move (finishRelink).
 */
export class Migration {
  private readonly time64: BigInt64Array;
  /** The relink in progress's chain and new buckets held (a relink is never nested). */
  private readonly scratch = new RelinkScratch();

  constructor(
    private readonly hw: Int32Array,
    private readonly header: MapHeader,
    private readonly spec: NormalizedSpec,
    private readonly domain: QuiescenceDomain,
    private readonly segments: SegmentStore,
    private readonly tables: Tables,
    private readonly pool: ElementPool,
    readonly retire: RetireQueue,
    private readonly log: RecoveryLog,
    /** Where decisions are logged; its maxBuckets() follows the live bound (setMaxEntries). */
    private readonly control: ResizeControl,
    /** Makes the bytes held what the map holds (under R_LOCK). */
    private readonly recountBytes: () => void,
    /** After a resize finished: the map may ask for the next one. */
    private readonly afterFinish: () => void,
  ) {
    this.time64 = new BigInt64Array(header.sab, TIME_BYTE_OFFSET, 3);
  }

  // ---- the resize lock ----

  /** Takes R_LOCK (first in the lock order); one taken over from a dead owner is repaired first. */
  lockResize(): void {
    // A repair that throws hands R_LOCK back to the dead owner (lockRecover): the next taker redoes it.
    lockRecover(this.hw, R_LOCK, this.domain.ownerId(), this.domain, 'hash_resize resize lock', () => this.recoverResizeLock());
  }

  unlockResize(): void {
    unlock(this.hw, R_LOCK);
  }

  /** R_LOCK is held by a dead owner: take it over (which repairs the table state) and let it go. */
  unstick(): void {
    if (!this.domain.isDeadOwner(Atomics.load(this.hw, R_LOCK) & OWNER_MASK)) return;
    this.lockResize();
    this.unlockResize();
  }

  /**
   * Under R_LOCK, taken over from a dead owner. Its sections write the table
   * state as a seqlock (EPOCH odd while CUR/FUT change): an odd EPOCH is
   * closed, after completing a finish that had made FUT the CUR (FUT
   * cleared) or leaving a begin that had not published FUT unpublished. The
   * bytes are recounted, which drops a table the dead owner allocated or
   * switched away from without retiring.
   */
  private recoverResizeLock(): void {
    const w = this.hw;
    Atomics.add(w, W_LOCKS_RECOVERED, 1);
    if ((Atomics.load(w, EPOCH) & 1) !== 0) {
      const fut = Atomics.load(w, FUT);
      if (fut !== 0 && fut === Atomics.load(w, CUR)) Atomics.store(w, FUT, 0);
      Atomics.add(w, EPOCH, 1);
    }
    if (Atomics.load(w, FUT) === 0) Atomics.store(w, DRIVER_OWNER, 0);
    this.tables.refresh();
    this.recountBytes();
  }

  // ---- begin ----

  /** Bytes of a bucket array of nb buckets. */
  private tableBytes(nb: number): number {
    return tableWords(nb) * 4;
  }

  /** Whether the next grow fits: within the bucket bound and spec.memoryBudget. */
  canGrow(nb: number): boolean {
    return nb * 2 <= this.control.maxBuckets() && this.header.heldBytes() + this.tableBytes(nb * 2) <= this.spec.memoryBudget;
  }

  /** Whether `entries` cross the watermark of a table of nb buckets in direction `dir` (rhashtable's rule: above growAt, below shrinkAt). */
  private watermarkCrossed(dir: number, nb: number, entries: number): boolean {
    const r = this.spec.resize;
    return dir === GROW ? entries > r.growAt * nb || entries >= nb : entries < r.shrinkAt * nb;
  }

  /**
   * Starts a resize: allocates the next bucket array and publishes it as FUT
   * (rhashtable's rehash_attach: inserts go there from now on). 0, -EBUSY
   * (a resize is under way, or retired memory still fills the retire queue),
   * -E2BIG past the bound, -ENOMEM past spec.memoryBudget, -EINVAL for a
   * shrink below the minimum or one whose table would sit above the grow watermark.
   * `toBuckets` (a power of two: a grow by 2x..8x, or straight to the
   * adaptive floor from a smaller table; a shrink by 2x or more,
   * as a controller decided) defaults to a decision the deferred resizer was
   * handed for this direction and this table, else 2x if this table crosses
   * its watermark, else nothing (-EAGAIN); `reason` is what the decision log
   * records (every resize begun is logged, under R_LOCK). `fromBuckets` (0:
   * any) is the table size the decision was made for: -EAGAIN on another.
   */
  beginResize(dir: number, toBuckets = 0, reason: Reason | null = null, fromBuckets = 0): number {
    const w = this.hw;
    this.lockResize();
    try {
      if (Atomics.load(w, FUT) !== 0) return -Errno.EBUSY;
      this.reclaimLocked();
      this.tables.refresh();
      const nb = this.tables.cur.nb;
      // A decision made for another table size (the decider's view was older
      // than a resize that finished since): its target is stale, the
      // controller decides again from this table at the next write.
      if (fromBuckets !== 0 && fromBuckets !== nb) return -Errno.EAGAIN;
      const entries = Atomics.load(w, ENTRIES);
      const pending = toBuckets === 0 && reason === null ? this.control.takePending(dir, nb) : null;
      // The deferred resizer's begin (no target, no reason) with no decision
      // left for this table (another thread's decision replaced it, or it was
      // the 100% load look): the 2x fallback below is justified only by this
      // table's own watermark. A request left over from a smaller table must
      // not grow the table a writer has grown since.
      if (toBuckets === 0 && reason === null && pending === null && !this.watermarkCrossed(dir, nb, entries)) return -Errno.EAGAIN;
      const want = toBuckets !== 0 ? toBuckets : (pending?.toBuckets ?? 0);
      const why: Reason = reason ?? pending?.reason ?? (dir === GROW ? 'watermark-grow' : 'watermark-shrink');
      let newNb: number;
      if (dir === GROW) {
        const maxBuckets = this.control.maxBuckets();
        newNb = want > nb ? Math.min(want, maxBuckets, maxGrowTo(nb)) : nb * 2;
        if (newNb > maxBuckets || newNb <= nb) return -Errno.E2BIG;
        if (this.header.heldBytes() + this.tableBytes(newNb) > this.spec.memoryBudget) return -Errno.ENOMEM;
      } else {
        newNb = want > 0 && want < nb ? Math.max(want, MIN_BUCKETS) : nb >>> 1;
        if (newNb < MIN_BUCKETS || newNb >= nb) return -Errno.EINVAL;
        // The smaller table would sit above the grow watermark: refuse rather
        // than shrink and grow straight back.
        if (entries > newNb * this.spec.resize.growAt) return -Errno.EINVAL;
      }
      // The finish must find a retire slot for the old table.
      if (this.retire.pending().length >= RETIRE_SLOTS) return -Errno.EBUSY;
      const sab = Tables.newTable(newNb);
      const id = Atomics.add(w, NEXT_SEG, 1);
      // Published before FUT names it (memory/segments.ts, rule 1).
      this.segments.publish(id, sab);
      this.header.addBytes(sab.byteLength);
      Atomics.store(this.time64, 1, process.hrtime.bigint());
      Atomics.add(w, EPOCH, 1);
      w[OLD_NB] = nb;
      w[DIR] = dir;
      w[CURSOR] = 0;
      Atomics.store(w, DONE, 0);
      // The inline driver is named before FUT is published: a beginner killed
      // right after this section leaves a resize whose driver reads dead
      // (replaceDeadDriver), not one with no driver at all.
      if (this.spec.resize.driver === 'inline') Atomics.store(w, DRIVER_OWNER, this.domain.ownerId());
      Atomics.store(w, FUT, id);
      Atomics.add(w, EPOCH, 1);
      this.control.logLocked(why, nb, newNb);
      return 0;
    } finally {
      this.unlockResize();
    }
  }

  // ---- migrate ----

  /**
   * Claims the next batch of old buckets and migrates them. Returns false when
   * there is no resize or nothing is left to claim. The claim is made under
   * R_LOCK, so it belongs to the resize under way, and recorded in this
   * thread's record before the cursor moves past it: when every batch is
   * claimed, a migrator takes over a batch whose claimer died (migrating a
   * bucket again is a no-op). The migrator whose batch ends with every batch
   * claimed tries to finish the resize, which happens once every old bucket
   * is MOVED.
   *
   * `batches` > 1 claims that many batches at once (the resizer thread and
   * an inline driver, which migrate a whole resize: WHOLE_RESIZE_BATCHES);
   * a writer that helps keeps to one, the cost it adds to its own write.
   */
  migrateBatch(batches = 1): boolean {
    const w = this.hw;
    if (Atomics.load(w, FUT) === 0) return false;
    const owner = this.domain.ownerId();
    const rec = this.log.prepare(owner);
    let start: number;
    let end: number;
    let oldNb: number;
    let futId: number;
    let orphanedFinish = false;
    this.lockResize();
    try {
      oldNb = w[OLD_NB]!;
      start = w[CURSOR]!;
      end = start;
      futId = Atomics.load(w, FUT);
      if (futId === 0) return false;
      if (rec.claimArea === futId && rec.claimOwner !== owner) {
        // This slot's record still holds the claim of a dead predecessor
        // (this thread is a CPU started on a dead CPU's id, and they share
        // the record): claiming anew would overwrite it and lose that batch
        // for good, so this thread migrates it first.
        start = rec.claimStart;
        end = rec.claimEnd;
        rec.claim(owner, futId, start, end);
      } else if (start < oldNb) {
        end = Math.min(start + batches * this.spec.resize.migrateBatch, oldNb);
        rec.claim(owner, futId, start, end);
        w[CURSOR] = end;
      } else {
        const dead = this.log.deadClaim(futId);
        if (dead === null) {
          // Nothing to claim. With every batch done, the migrator of the last
          // one may have died between its DONE and its finish: nobody else
          // would finish the resize, so this thread tries (below).
          orphanedFinish = Atomics.load(w, DONE) >= oldNb;
        } else {
          start = dead.claimStart;
          end = dead.claimEnd;
          rec.claim(owner, futId, start, end);
          dead.unclaim();
        }
      }
    } finally {
      this.unlockResize();
    }
    if (start === end) {
      if (orphanedFinish) this.finishResize();
      return false;
    }
    this.domain.readBegin();
    try {
      this.tables.refresh();
      // Writers under the 'help' driver migrate out of batch order; if they
      // moved every bucket of this batch and the resize finished since the
      // claim, there is nothing left to do here.
      const fut = this.tables.fut;
      if (fut !== null && fut.id === futId) {
        const cur = this.tables.cur;
        cur.t.migrateRange(start as BucketIndex, end as BucketIndex, fut.t, owner, this.scratch);
        // Every bucket of the claim is MOVED now (migrateRange returned; an
        // error leaves the claim unmarked): the finish need not read them again.
        cur.t.markMigrated(start as BucketIndex, end as BucketIndex, this.spec.resize.migrateBatch);
      }
    } finally {
      this.domain.readEnd();
    }
    // A taken-over batch counts too (its dead claimer may have counted it
    // already, then died before unclaiming: DONE may pass OLD_NB, hence >=).
    Atomics.add(w, DONE, end - start);
    rec.unclaim();
    if (Atomics.load(w, CURSOR) >= oldNb) this.finishResize();
    return true;
  }

  /** Relinks old bucket ob's elements into the future table and marks it MOVED. Idempotent. */
  migrateBucket(cur: TableView, fut: TableView, ob: BucketIndex, owner = this.domain.ownerId()): void {
    cur.t.migrateRange(ob, (ob + 1) as BucketIndex, fut.t, owner, this.scratch);
  }

  /**
   * Under old bucket ob's lock (not MOVED): moves its elements, tail first,
   * to their buckets in the future table, then marks ob MOVED
   * (ChainedTable.relinkLocked, which says what a reader sees meanwhile and
   * why holding the new buckets cannot deadlock). `lockNew` is false only
   * for a caller that already holds every bucket lock of the future table.
   */
  relinkBucketLocked(cur: TableView, fut: TableView, ob: BucketIndex, lockNew = true, owner = this.domain.ownerId()): void {
    cur.t.assertBucketHeld(ob);
    cur.t.relinkLocked(ob, fut.t, lockNew, owner, this.scratch);
  }

  /**
   * A bucket lock of table T was just taken over from a dead owner (after
   * the table's own repair, still under that lock). If T is the table a
   * resize migrates from and its owner died in the middle of a relink
   * (ChainedTable.moveTailLocked), ob's chain runs on into a new bucket's
   * chain, or its tail is already a new bucket's head: complete that move.
   * Each element of ob is looked at against the chain of its new bucket
   * (locked: old, then new): the first one in that chain is cut from ob;
   * the first whose NEXT is in it is linked in front of it, then cut. A
   * healthy tail may pass the second test when its new bucket is empty and
   * its terminator reads the same; moving it then is harmless (an element
   * of an unmoved old bucket may sit in the future table: inserts put new
   * keys there, and lookups and writes look there after the old bucket).
   */
  finishRelink(T: TableView, ob: BucketIndex): void {
    const w = this.hw;
    const futId = Atomics.load(w, FUT);
    if (futId === 0 || futId === T.id || Atomics.load(w, CUR) !== T.id) return;
    const ot = T.t;
    if (ot.isMoved(ob)) return;
    const ft = this.tables.view(futId).t;
    const owner = this.domain.ownerId();
    const store = ot.store;
    const limit = this.pool.store.maxElements;
    let prev: ElementId | -1 = -1;
    let e = ot.buckets[ob * BUCKET_WORDS + HEAD]! as ElementId;
    for (let steps = 0; e >= 0 && steps < limit; steps++) {
      const nb = (ot.hashOf(e) & ft.mask) as BucketIndex;
      ft.lockBucket(nb, owner);
      try {
        const head = ft.head(nb);
        const next = nextOf(store, e);
        // e's move got past its first step when e, or e's NEXT, is anywhere
        // in nb's chain, not only at its head: in a shrink another old bucket
        // goes to the same nb, and its migrator (taking nb's lock over from
        // the dead one) may have put its elements in front since.
        const newChain = ft.chainLocked(nb, []);
        const linked = newChain.includes(e);
        if (linked || next === head || (next >= 0 && newChain.includes(next))) {
          if (!linked) {
            // Only e's NEXT was written: link e in front of nb's chain as it is now.
            ft.seqBegin(nb);
            store.words(e)[store.base(e) + NEXT] = head;
            ft.buckets[nb * BUCKET_WORDS + HEAD] = e;
            ft.seqEnd(nb);
          }
          ot.seqBegin(ob);
          ot.endChainAfterLocked(ob, prev);
          ot.seqEnd(ob);
          return;
        }
        prev = e;
        e = next;
      } finally {
        ft.unlockBucket(nb);
      }
    }
  }

  // ---- finish ----

  /**
   * When every old bucket is MOVED: FUT becomes CUR, the old bucket array
   * waits for its grace period. Checked under R_LOCK, not counted: a batch
   * still being migrated (its migrator comes back here) or abandoned by a
   * dead migrator (the next migrator takes it over) keeps the resize open.
   * A batch a migrator completed is marked (ChainedTable.markMigrated, after
   * its migrateRange returned: every bucket of it MOVED, which is final) and
   * read as one word; any other batch is read bucket by bucket.
   */
  finishResize(): void {
    const w = this.hw;
    let finished = false;
    this.lockResize();
    try {
      this.tables.refresh();
      const old = this.tables.cur;
      const fut = Atomics.load(w, FUT);
      if (fut === 0) return;
      if (!old.t.allMoved(this.spec.resize.migrateBatch)) return;
      finished = true;
      Atomics.store(w, DRIVER_OWNER, 0);
      Atomics.add(w, EPOCH, 1);
      Atomics.store(w, CUR, fut);
      Atomics.store(w, FUT, 0);
      Atomics.add(w, EPOCH, 1);
      Atomics.add(w, w[DIR] === GROW ? GROWS : SHRINKS, 1);
      Atomics.add(this.time64, 0, process.hrtime.bigint() - Atomics.load(this.time64, 1));
      // Unpublished above; readers that still hold it keep it alive until
      // they pass a quiescent point. beginResize checked that a slot is free.
      if (!this.retire.retire(old.id, old.bytes) && (this.reclaimLocked() === 0 || !this.retire.retire(old.id, old.bytes))) {
        throw new Error('rightsize: hash_resize retire queue full at finish (bug)');
      }
    } finally {
      this.unlockResize();
    }
    if (!finished) return;
    this.reclaim();
    // The finishing thread (often the resizer, which may sleep for long) lets
    // go of the old table now rather than at the next resize.
    this.tables.refresh();
    this.afterFinish();
  }

  /**
   * With the 'inline' driver only the thread that began a resize migrates
   * it; if that thread died, the resize would never end. The first caller
   * to meet it then takes over as the driver and migrates the rest (batches
   * the dead driver had claimed included, see migrateBatch).
   */
  replaceDeadDriver(): void {
    if (this.spec.resize.driver !== 'inline') return;
    const w = this.hw;
    const futId = Atomics.load(w, FUT);
    if (futId === 0) return;
    const driver = Atomics.load(w, DRIVER_OWNER);
    // This thread drives it (it began the resize and is alive, asking).
    if (driver === this.domain.ownerId()) return;
    // 0 with FUT published: a finish is clearing it (migrateBatch then finds
    // nothing), or a map recovered from an older state; either way nobody drives.
    if (driver !== 0 && !this.domain.isDeadOwner(driver)) {
      // A live driver that claimed the last batch and left does not come back
      // for a batch whose claimer died after its last look: with every batch
      // claimed, whoever meets such a claim takes it over (and finishes the
      // resize). The cursor check keeps the log scan to the tail of a resize.
      if (Atomics.load(w, CURSOR) < Atomics.load(w, OLD_NB) || this.log.deadClaim(futId) === null) return;
    } else if (Atomics.compareExchange(w, DRIVER_OWNER, driver, this.domain.ownerId()) !== driver) return;
    while (this.migrateBatch(WHOLE_RESIZE_BATCHES)) {
      // the new driver migrates the whole table, as the dead one would have
    }
  }

  /**
   * Frees retired bucket arrays and chunks whose grace period is over, under
   * R_LOCK (taken only when a slot is due). R_LOCK makes a reclaim and a
   * byte recount (recountBytes: the repair, a resize lock taken over)
   * mutually exclusive: a slot this reclaim switched to FREEING is left out
   * of the retire queue's pending bytes while its bytes are still counted
   * as held, so a recount in between would drop them, and the subtraction
   * below would drop them a second time (stats().bytes one freed segment
   * too low for good). The free takes the pool lock: R_LOCK before it, as
   * the lock order says. Callers hold no bucket or pool lock.
   */
  reclaim(): number {
    if (!this.retire.due()) return 0;
    this.lockResize();
    try {
      return this.reclaimLocked();
    } finally {
      this.unlockResize();
    }
  }

  /** reclaim, for a caller that holds R_LOCK already (a resize's begin and finish). */
  private reclaimLocked(): number {
    const owner = this.domain.ownerId();
    return this.retire.reclaim((seg, bytes) => {
      this.pool.reclaimed(seg, owner);
      this.header.addBytes(-bytes);
    });
  }

  /** With lock checks on: throws unless this thread holds R_LOCK. */
  assertResizeLockHeld(): void {
    assertHeld(this.hw, R_LOCK, this.domain.ownerId(), 'hash_resize resize lock');
  }
}
