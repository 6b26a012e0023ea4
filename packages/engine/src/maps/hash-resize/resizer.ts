import { Worker } from 'node:worker_threads';
import type { QuiescenceDomain } from '../../rcu/domain.js';
import type { NormalizedSpec } from '../../spec/map-spec.js';
import type { MapHandle } from '../map.js';
import { builtModuleUrl } from './built-module.js';
import { FUT, REQUEST, RESIZER_OWNER, RESIZER_PARENT, SHRINK, WAKE } from './layout.js';
import { WHOLE_RESIZE_BATCHES, type Migration } from './migration.js';

const RESIZER_STALE_NS = 1_000_000_000n;
/** A resizer with nothing to do for this long ends (see idleExit). */
const RESIZER_IDLE_EXIT_MS = 5000;
/** How long the resizer sleeps between looks when nobody wakes it. */
const RESIZER_NAP_MS = 50;
/**
 * Longest a shrink waits for the element memory the entries no longer need
 * to be freed first (Resizer.shrinkReady): past it, the shrink goes ahead
 * (a reader holding a read section that long keeps released chunks alive).
 */
const SHRINK_WAIT_MAX_MS = 1000;

/**
 * A look at the table: the direction to resize in (0: none) and the buckets
 * of the table it judged. The begin is made for that table only: tables up
 * to INLINE_BUCKETS are resized by the writers themselves, so one may have
 * grown the table between the look and the begin (see Resizer.round).
 */
export interface ResizeLook {
  readonly dir: number;
  readonly fromBuckets: number;
}

/** What the resizer needs from its map. */
export interface ResizerHost {
  readonly words: Int32Array;
  /** [0] ns spent resizing, [1] start of the resize under way, [2] the resizer's last beat. */
  readonly time64: BigInt64Array;
  readonly domain: QuiescenceDomain;
  readonly spec: NormalizedSpec;
  readonly handle: MapHandle;
  readonly id: string;
  readonly migration: Migration;
  destroyed(): boolean;
  /** Answers segment requests, as every operation does. */
  answerWants(): void;
  /** The direction the entries call for now for a request `req` (dir 0: none), and the table size that look was made for. */
  wanted(req: number): ResizeLook;
  /** With no request: the controller's own look (dir 0: nothing to do). A held shrink comes due this way on a map nobody writes. */
  idleLook(): ResizeLook;
  /** Background upkeep: reclaim, release empty element chunks, compact a sparse top chunk. */
  maintain(): boolean;
  /** Before a shrink's smaller table is allocated: free what element memory compaction can (bounded in time); whether it is all freed. */
  beforeShrink(): boolean;
}

/**
 * The deferred resizer of one hash_resize map (rhashtable's
 * rht_deferred_worker): a thread started with the map (and started again
 * by the next request after it ended idle), woken at the watermarks, that
 * begins the resize and relinks the table batch by batch while the CPUs go
 * on. It ends when the map is destroyed, or after RESIZER_IDLE_EXIT_MS with
 * nothing to do.
 *
 * It beats every loop; a beat older than a second means it is gone (its
 * parent thread ended, it was killed) and the next requester starts another.
 * The compareExchange on the beat makes one requester the starter.
 */
export class Resizer {
  private worker: Worker | null = null;

  constructor(private readonly host: ResizerHost) {}

  /** Asks the resizer for a resize in direction `dir` (GROW or SHRINK) and wakes it. */
  request(dir: number): void {
    if (Atomics.compareExchange(this.host.words, REQUEST, 0, dir) === 0) this.wake();
  }

  wake(): void {
    this.ensure();
    Atomics.add(this.host.words, WAKE, 1);
    Atomics.notify(this.host.words, WAKE);
  }

  /** Whether a resizer thread runs now: registered (run) and beating within the last second. */
  running(): boolean {
    const beat = Atomics.load(this.host.time64, 2);
    return Atomics.load(this.host.words, RESIZER_OWNER) !== 0 && beat !== 0n && process.hrtime.bigint() - beat < RESIZER_STALE_NS;
  }

  /** Starts a resizer unless one beat within the last second. */
  ensure(): void {
    const t = this.host.time64;
    const now = process.hrtime.bigint();
    const beat = Atomics.load(t, 2);
    if (beat !== 0n && now - beat < RESIZER_STALE_NS) return;
    // A resizer gone with its starter is marked dead before the next one takes its place.
    this.reap();
    if (Atomics.compareExchange(t, 2, beat, now) !== beat) return;
    const url = builtModuleUrl('./resizer-thread.js', import.meta.url);
    const worker = new Worker(url, { workerData: { handle: this.host.handle, parent: this.host.domain.ownerId() } });
    worker.unref();
    worker.on('error', (err) => {
      process.emitWarning(`rightsize: hash_resize resizer thread of map ${this.host.id} failed: ${String(err)}`);
    });
    this.worker = worker;
  }

  /**
   * The deferred resizer thread ends with the thread that started it (a
   * worker's nested workers end with it), but nobody marks its own
   * userspace slot dead. Once its starter is dead, it is marked dead here:
   * its locks, records and claims are then taken over like any dead CPU's,
   * and grace periods stop waiting for it. Returns whether it was found dead.
   */
  reap(): boolean {
    const w = this.host.words;
    const d = this.host.domain;
    const r = Atomics.load(w, RESIZER_OWNER);
    if (r === 0) return false;
    const parent = Atomics.load(w, RESIZER_PARENT);
    if (parent === 0 || !d.isDeadOwner(parent)) return false;
    if (Atomics.compareExchange(w, RESIZER_OWNER, r, 0) === r) d.markDead(d.ownerSlot(r));
    return true;
  }

  /** Whether `owner` is the resizer and it is dead with its starter (the map's lock liveness asks). */
  isDeadResizer(owner: number): boolean {
    return owner === Atomics.load(this.host.words, RESIZER_OWNER) && this.reap();
  }

  /**
   * The resizer thread's loop: beat, sleep until woken (or RESIZER_NAP_MS),
   * begin what was requested if the entries still call for it, migrate,
   * do the pool's upkeep. Ends when the map is destroyed.
   */
  run(parent: number): void {
    const h = this.host;
    const w = h.words;
    // Who this resizer is and which thread it lives and dies with (reap).
    Atomics.store(w, RESIZER_PARENT, parent);
    Atomics.store(w, RESIZER_OWNER, h.domain.ownerId());
    let lastWork = performance.now();
    for (;;) {
      if (h.destroyed()) return;
      const now = process.hrtime.bigint();
      Atomics.store(h.time64, 2, now);
      const wake = Atomics.load(w, WAKE);
      const busy = this.round();
      if (busy === null) return;
      if (busy) lastWork = performance.now();
      else if (performance.now() - lastWork > RESIZER_IDLE_EXIT_MS && this.idleExit(now)) return;
      if (Atomics.load(w, REQUEST) === 0 && Atomics.load(w, FUT) === 0) Atomics.wait(w, WAKE, wake, RESIZER_NAP_MS);
    }
  }

  /**
   * One round of the loop: take the request (or, with none, look by
   * itself), begin what the entries still call for, migrate, do the pool's
   * upkeep. Whether there was work, or null when the map was destroyed
   * meanwhile. Tests drive it directly to script what other threads do
   * between the look and the begin.
   */
  round(): boolean | null {
    const h = this.host;
    const w = h.words;
    h.answerWants();
    const req = Atomics.exchange(w, REQUEST, 0);
    let busy = req !== 0 || Atomics.load(w, FUT) !== 0;
    if (req !== 0 && Atomics.load(w, FUT) === 0) {
      // Only what the entries still call for now (the request may be old).
      const look = h.wanted(req);
      if (look.dir === SHRINK && !this.shrinkReady()) {
        // Kept as asked (unless a newer request came): the writers do not
        // ask again meanwhile, and the next round comes back to it.
        Atomics.compareExchange(w, REQUEST, 0, req);
      } else if (look.dir !== 0) this.begin(look);
    } else if (Atomics.load(w, FUT) === 0) {
      const look = h.idleLook();
      if (look.dir !== 0 && (look.dir !== SHRINK || this.shrinkReady()) && this.begin(look) === 0) busy = true;
    }
    while (h.migration.migrateBatch(WHOLE_RESIZE_BATCHES)) {
      if (h.destroyed()) return null;
    }
    if (h.maintain()) busy = true;
    return busy;
  }

  /**
   * Begins the resize a look decided, on the table it judged only. Between
   * the look and R_LOCK a writer may have resized that table (one up to
   * INLINE_BUCKETS is resized by the writer whose decision it was): the
   * look's decision, sized for the old table, is then dropped (-EAGAIN),
   * and the next round looks at the table there is. Without the size, the
   * begin found no decision for the new table and grew it by 2x as well
   * (the oscillating experiment's stray grow from 4,096 to 8,192 buckets at
   * about 1,600 entries, right after a trend grow from 2,048).
   */
  private begin(look: ResizeLook): number {
    return this.host.migration.beginResize(look.dir, 0, null, look.fromBuckets);
  }

  /** When the shrink the resizer is holding back began to wait (performance.now()), or 0. */
  private shrinkWaitSince = 0;

  /**
   * Whether a shrink may begin now. Its smaller table is an extra table on
   * top of the map's memory while it migrates; after a fast decline of the
   * entries (a burst of flows expiring) the element chunks they no longer
   * need are still there, so allocating it at once made the map's memory
   * peak after the burst instead of during it. The shrink first waits for
   * compaction to free them (Compaction.beforeShrink, one bounded round per
   * loop), for at most SHRINK_WAIT_MAX_MS. A shrink is never urgent: the
   * table it replaces stays correct meanwhile.
   */
  private shrinkReady(): boolean {
    const ready = this.host.beforeShrink();
    const now = performance.now();
    if (!ready && this.shrinkWaitSince === 0) this.shrinkWaitSince = now;
    if (ready || now - this.shrinkWaitSince >= SHRINK_WAIT_MAX_MS) {
      this.shrinkWaitSince = 0;
      return true;
    }
    return false;
  }

  /**
   * An idle resizer ends, so that its thread (and the garbage it holds: it
   * allocates too little to collect often) goes away; the next request starts
   * another (ensure sees no beat). Clearing the beat first and then looking
   * for work once more closes the race with a requester that saw the old
   * beat and so did not start one: it posted its request before we look.
   */
  private idleExit(beat: bigint): boolean {
    const h = this.host;
    if (Atomics.compareExchange(h.time64, 2, beat, 0n) !== beat) return false;
    if (Atomics.load(h.words, REQUEST) === 0 && Atomics.load(h.words, FUT) === 0) {
      Atomics.compareExchange(h.words, RESIZER_OWNER, h.domain.ownerId(), 0);
      return true;
    }
    Atomics.compareExchange(h.time64, 2, 0n, process.hrtime.bigint());
    return false;
  }

  /** Ends the resizer this thread started (the map is destroyed). */
  stop(): void {
    this.worker?.terminate().catch(() => undefined);
    this.worker = null;
  }
}
