import { currentCpu } from '../../context.js';
import { lock, unlock, type LockOwners } from '../../locks/bucket-lock.js';
import { PagedRecords } from '../../memory/paged-records.js';
import { allocArea, type SegmentStore } from '../../memory/segments.js';
import type { RetireQueue } from '../../rcu/retire.js';
import { ElementStore } from '../chained/allocator.js';
import type { ElementId } from '../chained/ids.js';
import { HASH, NEXT, type ElemLayout } from '../chained/layout.js';
import { assertHeld } from '../chained/table.js';
import {
  CACHE_SLOTS,
  CHUNKS_RELEASED,
  CHUNK_SEG_BASE,
  DIR_FREE,
  DIR_ID,
  DIR_LIVE,
  DIR_WORDS,
  EPOCH,
  NEXT_CHUNK,
  P_ALLOCATED,
  P_CREATING,
  P_DIR,
  P_LOCK,
  P_LOW,
  P_PAGES,
  P_TOP,
  entriesLimit,
  poolCacheAt,
  type EntriesLimit,
} from './layout.js';

/**
 * hash_resize's element pool: the map's elements, whatever table links
 * them. Table generations are bucket arrays; a resize relinks elements from
 * one to the next and never copies them, so memory is the live entries'
 * elements plus the bucket arrays.
 *
 * Elements live in fixed-size chunks (one SharedArrayBuffer each), made as
 * entries arrive. Element index = chunk << shift | slot. Each chunk has its
 * own free list (the link sits in a free element's HASH word: see
 * compactLayout) and live count, so that allocation takes from the lowest
 * chunk with room (LOW) and high chunks drain as entries go: a chunk that
 * empties is released after a grace period, and a sparse top chunk has its
 * few live elements relocated into lower chunks (the map's compaction,
 * under their bucket locks) so that it empties.
 *
 * Lock order: bucket locks, then the shared cache's lock, then the pool
 * lock (inserts, deletes and relocations take elements under their bucket
 * lock). Nothing else is taken under the pool lock but the segment
 * publication lock (a leaf).
 *
 * The directory (DIR[c], LIVE[c], FREE[c] per chunk index) is paged
 * (memory/paged-records.ts): page 0 sits in the control segment, sized for
 * the bound the map was created with; later pages are segments made under
 * the pool lock when a chunk index first passes the pages there are (the
 * bound was raised), published like chunks, so a thread attached before a
 * page existed reaches it synchronously. Lookups never read the directory
 * on their way: each thread caches its chunk views (ElementStore) and
 * reads DIR only on a miss.
 *
 * A chunk is made under the pool lock, in steps a dead creator can stop
 * between: the directory pages up to its index are made (each published,
 * then its id stored in the page table), the buffer gets its free list
 * while still private, is published under a segment id never used before,
 * its free list head is stored, then its id is committed into DIR[c] with
 * one store, then its bytes are counted. A buffer published and not
 * committed is an orphan nobody addresses; the next creator makes chunk c
 * (or the page) again. Bytes a dead creator did not count are recounted by
 * the map's repair (bytes() and directoryBytes() derive them).
 *
 * A released chunk's index is not reused until its grace period is over
 * (DIR[c] holds minus its id meanwhile, and readers still standing on its
 * elements resolve it), and the release moves EPOCH by 2: every thread
 * drops its views of released chunks at its next operation (forgetReleased),
 * so no thread reads a new chunk through an old view.
 *
 * Per-CPU caches (the kernel's per-CPU free lists, pcpu_freelist): a CPU
 * running a program keeps up to CACHE_SLOTS free elements in a line of its
 * own, so that most inserts and deletes take no pool lock (on 2 CPUs the
 * pool lock was the map's most contended word). Rules:
 * - A cache is touched only by its CPU, and only under a bucket lock
 *   (inserts and deletes hold one); the repair, holding every bucket lock,
 *   reads them all. So its words need no lock and no atomics: the bucket
 *   lock's unlock publishes them to the repair's lock.
 * - A cached element counts as handed out (LIVE[c], ALLOCATED): the chunk
 *   it belongs to stays. Elements are pushed before the count grows and
 *   read before it shrinks: a CPU killed in between leaves one element in
 *   neither the cache nor a chain, which the repair gives back like any
 *   element a dead CPU held.
 * - Caches only ever hold elements that the pool would hand out next or
 *   that a delete just freed; when the pool is under-filled (UNDERFILLED),
 *   a delete gives its CPU's whole cache back, so memory still follows the
 *   entries down (at most CACHE_SLOTS elements per idle CPU stay).
 * - The pool has room for every cache full besides the bound: the
 *   directory grows with the chunk indexes, and the bound never passes
 *   `limit` (entriesLimit: the element ids and the directory can address
 *   its chunks), so an insert the map admitted always finds an element.
 * - Userspace threads (the collector, an agent) share one more cache, with a
 *   lock of its own on its own line: their deletes put elements there, and
 *   a CPU whose cache is empty takes from it before the pool. Touched only
 *   under a bucket lock too (so the repair reads it whole); a dead holder's
 *   lock is taken over like any other, its count being authoritative.
 */
export class ElementPool {
  readonly store: ElementStore;
  readonly shift: number;
  /** The chunk directory: a DIR_WORDS record per chunk index (see layout.ts). */
  readonly dir: PagedRecords;
  /** The engine's hard limit on this pool's entries (a bound past it is refused). */
  readonly limit: EntriesLimit;
  /** Chunk indexes this pool may ever use (limit.chunks). */
  readonly chunkLimit: number;
  /** Segment ids this thread resolved per chunk index (to drop them once the chunk is gone). */
  private readonly known: (number | undefined)[] = [];

  constructor(
    /** The pool's control words (segment SEG_POOL; see layout.ts). */
    readonly ctl: Int32Array,
    readonly layout: ElemLayout,
    /** Elements per chunk (a power of two). */
    readonly chunk: number,
    /** Chunk indexes the directory's page 0 holds (maxChunks of the bound the map was created with). */
    readonly firstChunks: number,
    /** CPUs with a cache (spec.nCpus). */
    readonly nCpus: number,
    /** The map header's words (NEXT_SEG, EPOCH, counters). */
    private readonly hw: Int32Array,
    private readonly segments: SegmentStore,
    private readonly owners: LockOwners,
    private readonly addBytes: (n: number) => void,
    /** Whether `bytes` more fit the map's spec.memoryBudget (a chunk is made only then). */
    private readonly fitsBudget: (bytes: number) => boolean,
  ) {
    this.shift = Math.log2(chunk);
    this.limit = entriesLimit(chunk, nCpus, firstChunks);
    this.chunkLimit = this.limit.chunks;
    this.dir = new PagedRecords(ctl, P_PAGES, P_DIR, firstChunks, DIR_WORDS, segments);
    this.store = new ElementStore(layout, chunk, { chunk: (c, create) => this.chunkMemory(c, create) }, chunk * this.chunkLimit);
  }

  /** Bytes of one chunk. */
  get chunkBytes(): number {
    return this.chunk * this.layout.stride * 4;
  }

  /** A fresh pool's control words. */
  static init(ctl: Int32Array): void {
    ctl[P_LOW] = 0;
    ctl[P_TOP] = 0;
    ctl[P_ALLOCATED] = 0;
  }

  /** Word index of CPU cpu's cache line. */
  private cacheAt(cpu: number): number {
    return poolCacheAt(this.firstChunks) + cpu * (CACHE_SLOTS + 1);
  }

  /** The userspace threads' shared cache line (count, elements), after the CPUs'. */
  private sharedAt(): number {
    return this.cacheAt(this.nCpus);
  }

  /** The shared cache's lock word, on a line of its own. */
  private sharedLockAt(): number {
    return this.cacheAt(this.nCpus + 1);
  }

  private lockShared(owner: number): void {
    lock(this.ctl, this.sharedLockAt(), owner, this.owners, 'hash_resize shared element cache lock');
  }

  private unlockShared(): void {
    unlock(this.ctl, this.sharedLockAt());
  }

  /** The calling thread's cache line, or -1 (not a CPU of this map: userspace, the resizer). */
  private myCache(): number {
    const cpu = currentCpu();
    return cpu >= 0 && cpu < this.nCpus ? this.cacheAt(cpu) : -1;
  }

  /** The memory of chunk c: committed (or released and still in its grace period), or made now when `create`. */
  private chunkMemory(c: number, create: boolean): { sab: SharedArrayBuffer; byteOffset: number; elements: number } | null {
    if (c >= this.chunkLimit) return null;
    const id = this.dir.load(c, DIR_ID);
    if (id !== 0) {
      const seg = Math.abs(id);
      this.known[c] = seg;
      return { sab: this.segments.get(seg), byteOffset: 0, elements: this.chunk };
    }
    if (!create) return null;
    this.makePages(c);
    const size = this.chunk;
    const sab = new SharedArrayBuffer(this.chunkBytes);
    const w = new Int32Array(sab);
    const stride = this.layout.stride;
    const first = c << this.shift;
    // The free list, while the buffer is still private: slot i links to i + 1.
    for (let i = 0; i < size; i++) w[i * stride + HASH] = i + 1 < size ? first + i + 1 : -1;
    const seg = CHUNK_SEG_BASE + Atomics.add(this.hw, NEXT_CHUNK, 1);
    // Named as in the making before it is published, until it is committed:
    // forgetReleased must not let go of a chunk between the two.
    Atomics.store(this.ctl, P_CREATING, seg);
    // Published before its id is stored anywhere (memory/segments.ts, rule 1).
    this.segments.publish(seg, sab);
    this.dir.set(c, DIR_FREE, first);
    this.dir.set(c, DIR_LIVE, 0);
    this.dir.store(c, DIR_ID, seg);
    Atomics.store(this.ctl, P_CREATING, 0);
    this.addBytes(sab.byteLength);
    if (this.ctl[P_TOP]! <= c) this.ctl[P_TOP] = c + 1;
    this.known[c] = seg;
    return { sab, byteOffset: 0, elements: size };
  }

  /**
   * Under the pool lock: the directory pages up to chunk c's, made in order.
   * Each is published before its id is stored in the page table (the
   * chunk's rule), and named in CREATING meanwhile, so that forgetReleased
   * does not let it go between the two.
   */
  private makePages(c: number): void {
    for (let k = this.dir.missingPage(c); k >= 0; k = this.dir.missingPage(c)) {
      const sab = allocArea(this.dir.pageBytes(k), 'setMaxEntries', `element pool directory page ${k}`);
      const seg = CHUNK_SEG_BASE + Atomics.add(this.hw, NEXT_CHUNK, 1);
      Atomics.store(this.ctl, P_CREATING, seg);
      this.segments.publish(seg, sab);
      this.dir.link(k, seg, sab);
      Atomics.store(this.ctl, P_CREATING, 0);
      this.addBytes(sab.byteLength);
    }
  }

  lock(owner: number): void {
    lock(this.ctl, P_LOCK, owner, this.owners, 'hash_resize element pool lock');
  }

  unlock(): void {
    unlock(this.ctl, P_LOCK);
  }

  /**
   * An element from the lowest chunk with room (a new chunk is made when
   * the lowest free index has none yet), or OVER_BUDGET when that chunk
   * would pass spec.memoryBudget. The caller bounds the entries (the map's
   * ENTRIES), so there is always room otherwise. With `below` (a
   * relocation), only from a chunk below it that exists, else -1.
   */
  alloc(owner: number, below = this.chunkLimit): ElementId {
    const at = below === this.chunkLimit ? this.myCache() : -1;
    if (at >= 0) {
      // Under the caller's bucket lock (see the cache rules above).
      const n = this.ctl[at]!;
      if (n > 0) {
        const e = this.ctl[at + n]! as ElementId;
        this.ctl[at] = n - 1;
        return e;
      }
      const shared = this.fromShared(owner, at);
      if (shared >= 0) return shared;
    } else if (below === this.chunkLimit) {
      const shared = this.fromShared(owner, -1);
      if (shared >= 0) return shared;
    }
    this.lock(owner);
    try {
      // A relocation (below set) moves an entry into a chunk that exists:
      // making one for it would only trade the chunk being emptied for another.
      const e = this.allocLocked(owner, below, below === this.chunkLimit);
      // An empty cache takes half a line's worth at once, from chunks that
      // exist (a spare never makes a chunk).
      if (at >= 0 && e >= 0) {
        let n = 0;
        for (; n < CACHE_SLOTS >>> 1; n++) {
          const x = this.allocLocked(owner, below, false);
          if (x < 0) break;
          this.ctl[at + 1 + n] = x;
        }
        this.ctl[at] = n;
      }
      return e;
    } finally {
      this.unlock();
    }
  }

  private allocLocked(owner: number, below: number, create: boolean): ElementId {
    assertHeld(this.ctl, P_LOCK, owner, 'element pool lock');
    const ctl = this.ctl;
    const low = ctl[P_LOW]!;
    const dir = this.dir;
    for (let c = low; c < below; c++) {
      const id = dir.get(c, DIR_ID);
      if (id < 0) continue;
      if (id === 0) {
        if (!create) return -1 as ElementId;
        // spec.memoryBudget bounds the bytes a map holds: an insert that
        // needs a chunk (and the directory pages to reach it) past it is
        // refused (-ENOMEM), as a grow is.
        if (!this.fitsBudget(this.chunkBytes + dir.bytesToReach(c))) return OVER_BUDGET as ElementId;
        this.store.load(c, true);
      }
      const e = dir.get(c, DIR_FREE) as ElementId;
      if (e < 0) continue;
      dir.set(c, DIR_FREE, this.store.words(e)[this.store.base(e) + HASH]!);
      dir.set(c, DIR_LIVE, dir.get(c, DIR_LIVE) + 1);
      ctl[P_ALLOCATED]!++;
      // Every chunk from LOW to c - 1 is full or waiting for its grace period (reclaimed lowers LOW again).
      ctl[P_LOW] = c;
      return e;
    }
    return -1 as ElementId;
  }

  /**
   * An element from the shared cache (what userspace deletes gave back: the
   * collector's, an agent's), or -1 when it is empty. A CPU (`at` its empty
   * cache line) takes up to half a line more into its own cache, all under
   * the shared cache's lock and no pool lock. The shared count is lowered
   * before the elements are written into the CPU's line: a death in between
   * leaves them in no cache and no chain, which the repair gives back (never
   * in two caches).
   */
  private fromShared(owner: number, at: number): ElementId {
    const ctl = this.ctl;
    const s = this.sharedAt();
    // A plain peek: an empty shared cache costs no lock.
    if (ctl[s] === 0) return -1 as ElementId;
    this.lockShared(owner);
    try {
      const n = ctl[s]!;
      if (n === 0) return -1 as ElementId;
      const take = at >= 0 ? Math.min(n, (CACHE_SLOTS >>> 1) + 1) : 1;
      ctl[s] = n - take;
      for (let i = 1; i < take; i++) ctl[at + i] = ctl[s + n - i]!;
      if (at >= 0) ctl[at] = take - 1;
      return ctl[s + n]! as ElementId;
    } finally {
      this.unlockShared();
    }
  }

  /**
   * Gives element e back. The caller unlinked it under its bucket lock,
   * inside the bucket's write section (a reader standing on it retries).
   * Returns what is live in e's chunk now, or CACHED when it went into the
   * calling CPU's cache, or a userspace thread's into the shared one
   * (`mayCache` false: never; compaction gives elements back to empty their
   * chunk).
   */
  release(e: ElementId, owner: number, mayCache = true): number {
    const ctl = this.ctl;
    const at = mayCache ? this.myCache() : -1;
    // Plain reads of the fill: a hint of whether memory is going down (and
    // there is a chunk above chunk 0, the one that always stays, to free).
    const top = ctl[P_TOP]!;
    const filled = top <= 1 || ctl[P_ALLOCATED]! > UNDERFILLED * top * this.chunk;
    if (at < 0 && mayCache) return this.toShared(e, owner, filled);
    let flush = 0;
    if (at >= 0) {
      const n = ctl[at]!;
      if (filled) {
        if (n < CACHE_SLOTS) {
          this.push(at, e);
          return CACHED;
        }
        // Full: the older half goes back with e, under one lock.
        flush = CACHE_SLOTS >>> 1;
      } else flush = n;
    }
    this.lock(owner);
    try {
      if (flush > 0) this.flushLocked(at, flush);
      return this.releaseLocked(e);
    } finally {
      this.unlock();
    }
  }

  /**
   * A userspace thread's release: into the shared cache (one lock, not the
   * pool's); a full shared cache gives its older half back to the pool
   * first (shared lock, then pool lock: the lock order). An under-filled
   * pool takes the whole shared cache back, and e.
   */
  private toShared(e: ElementId, owner: number, filled: boolean): number {
    const ctl = this.ctl;
    const s = this.sharedAt();
    this.lockShared(owner);
    try {
      const n = ctl[s]!;
      if (filled && n < CACHE_SLOTS) {
        this.push(s, e);
        return CACHED;
      }
      this.lock(owner);
      try {
        this.flushLocked(s, filled ? CACHE_SLOTS >>> 1 : n);
        if (!filled) return this.releaseLocked(e);
        this.push(s, e);
        return CACHED;
      } finally {
        this.unlock();
      }
    } finally {
      this.unlockShared();
    }
  }

  /** Element e on top of the cache line at `at` (not full): the element first, then the count (a death in between loses nothing the repair cannot give back). */
  private push(at: number, e: number): void {
    const n = this.ctl[at]!;
    this.ctl[at + 1 + n] = e;
    this.ctl[at] = n + 1;
  }

  /** Under the pool lock: the `flush` oldest elements of the cache line at `at` back into their chunks, the rest moved down. */
  private flushLocked(at: number, flush: number): void {
    const ctl = this.ctl;
    const n = ctl[at]!;
    for (let i = 1; i <= flush; i++) this.releaseLocked(ctl[at + i]!);
    for (let i = flush + 1; i <= n; i++) ctl[at + i - flush] = ctl[at + i]!;
    ctl[at] = n - flush;
  }

  /** Under the pool lock: e back on its chunk's free list; what is live in the chunk now. */
  private releaseLocked(e: number): number {
    const ctl = this.ctl;
    const c = e >>> this.shift;
    const dir = this.dir;
    this.store.words(e)[this.store.base(e) + HASH] = dir.get(c, DIR_FREE);
    dir.set(c, DIR_FREE, e);
    const left = dir.get(c, DIR_LIVE) - 1;
    dir.set(c, DIR_LIVE, left);
    ctl[P_ALLOCATED]!--;
    if (c < ctl[P_LOW]!) ctl[P_LOW] = c;
    return left;
  }

  /**
   * The elements the CPUs' caches hold (free, counted as handed out). Exact
   * under every bucket lock (the repair); otherwise a snapshot (verify of a
   * quiet map).
   */
  cachedElements(): ElementId[] {
    const out: ElementId[] = [];
    // The CPUs' caches, then (index nCpus) the userspace threads' shared one.
    for (let cpu = 0; cpu <= this.nCpus; cpu++) {
      const at = this.cacheAt(cpu);
      const n = Math.min(Atomics.load(this.ctl, at), CACHE_SLOTS);
      for (let i = 1; i <= n; i++) out.push(Atomics.load(this.ctl, at + i) as ElementId);
    }
    return out;
  }

  /** Elements handed out (live entries, plus one per relocation in flight). */
  allocated(): number {
    return Atomics.load(this.ctl, P_ALLOCATED);
  }

  /** One past the highest chunk index holding memory. */
  top(): number {
    return Atomics.load(this.ctl, P_TOP);
  }

  liveIn(c: number): number {
    return this.dir.load(c, DIR_LIVE);
  }

  /** Bytes of the chunks holding memory (committed, not released). */
  bytes(): number {
    let n = 0;
    const end = this.dir.extent();
    for (let c = 0; c < end; c++) if (this.dir.load(c, DIR_ID) > 0) n++;
    return n * this.chunkBytes;
  }

  /** Bytes of the directory's pages past page 0 (page 0 is part of the control segment). */
  directoryBytes(): number {
    return this.dir.pageBytesHeld();
  }

  /**
   * One past the highest chunk index that has a segment (committed, or
   * released and in its grace period): every element id linked anywhere is
   * below span() * chunk. Exact under the pool lock (chunks are made and
   * given back under it); a snapshot otherwise (verify of a quiet map).
   */
  span(): number {
    for (let c = this.dir.extent() - 1; c >= 0; c--) if (this.dir.load(c, DIR_ID) !== 0) return c + 1;
    return 0;
  }

  /** Segment id of chunk c (0 none, negative: released, in its grace period). */
  chunkId(c: number): number {
    return this.dir.load(c, DIR_ID);
  }

  /**
   * The chunk compaction should empty next, or -1: the top chunk, when
   * - it is sparse (holds at most an eighth of a chunk), or the pool is
   *   under-filled: at most `fill` of the slots up to the top chunk hold
   *   entries (entries that went away at random, as expiring flows do, leave
   *   holes in every chunk and no chunk sparse, so memory would stay at the
   *   peak's);
   * - and the chunks below have room for its entries and a quarter chunk
   *   more (so that a map hovering at a chunk boundary does not make and
   *   release the same chunk over and over).
   * Chunk 0 stays: a map that empties keeps one chunk, the common case of
   * one key inserted and deleted in a loop costs no buffer per round.
   * `fill` 0: sparse top chunks only.
   */
  compactionCandidate(fill: number): number {
    const top = this.top();
    const c = top - 1;
    if (c <= 0) return -1;
    const live = this.liveIn(c);
    const allocated = this.allocated();
    const sparse = live <= this.chunk >>> 3;
    if (!sparse && allocated > fill * top * this.chunk) return -1;
    const below = allocated - live;
    return c * this.chunk - below >= live + (this.chunk >>> 2) ? c : -1;
  }

  /**
   * Whether the pool keeps a quarter chunk of room without chunk c: an
   * empty chunk is released only then, so that entries hovering at a chunk
   * boundary do not make and release the same chunk over and over (a chunk
   * made costs a buffer and a publication to every thread). A hint from
   * plain counts; TOP bounds the chunks that hold memory.
   */
  roomWithout(c: number): boolean {
    const top = Math.max(this.top(), c + 1);
    return (top - 1) * this.chunk - this.allocated() >= this.chunk >>> 2;
  }

  /** The elements handed out from chunk c now (its slots not on its free list). */
  liveElements(c: number, owner: number): ElementId[] {
    this.lock(owner);
    try {
      if (this.dir.get(c, DIR_ID) <= 0) return [];
      const first = c << this.shift;
      const onFree = new Uint8Array(this.chunk);
      for (let e = this.dir.get(c, DIR_FREE); e >= 0; e = this.store.words(e)[this.store.base(e) + HASH]!) onFree[e - first] = 1;
      const out: ElementId[] = [];
      for (let i = 0; i < this.chunk; i++) if (onFree[i] === 0) out.push((first + i) as ElementId);
      return out;
    } finally {
      this.unlock();
    }
  }

  /**
   * Releases chunk c if it is empty (not chunk 0): it goes into the retire
   * queue and its index waits there for its grace period. False when it is
   * not empty or the queue is full (tried again later).
   */
  releaseIfEmpty(c: number, owner: number, retire: RetireQueue): boolean {
    if (c <= 0) return false;
    this.lock(owner);
    try {
      const ctl = this.ctl;
      const dir = this.dir;
      const id = dir.get(c, DIR_ID);
      if (id <= 0 || dir.get(c, DIR_LIVE) !== 0) return false;
      // Chunks leave two retire slots free: a resize under way must find one
      // at its finish (beginResize checked one was free; releases are
      // serialised by this lock, so chunks never hold more than SLOTS - 2).
      if (retire.pending().length >= retire.slots - 2) return false;
      // No element of c is linked and none can be taken (the pool lock is
      // held): readers still standing on one are online now, so the grace
      // period that starts here covers them.
      if (!retire.retire(id, this.chunkBytes)) return false;
      dir.store(c, DIR_ID, -id);
      Atomics.add(this.hw, EPOCH, 2);
      Atomics.add(this.hw, CHUNKS_RELEASED, 1);
      let top = ctl[P_TOP]!;
      while (top > 0 && dir.get(top - 1, DIR_ID) <= 0) top--;
      ctl[P_TOP] = top;
      return true;
    } finally {
      this.unlock();
    }
  }

  /** After the grace period of a released chunk (segment `seg`): its index may be used again. Returns whether seg was a chunk. */
  reclaimed(seg: number, owner: number): boolean {
    this.lock(owner);
    try {
      const end = this.dir.extent();
      for (let c = 0; c < end; c++) {
        if (this.dir.get(c, DIR_ID) !== -seg) continue;
        this.dir.store(c, DIR_ID, 0);
        // This thread's own read section is not waited for (graceOver skips
        // it): it must not meet index c again through its old view.
        this.store.forget(c);
        this.known[c] = undefined;
        if (c < this.ctl[P_LOW]!) this.ctl[P_LOW] = c;
        // Every thread lets the segment go at its next operation (forgetReleased).
        Atomics.add(this.hw, EPOCH, 2);
        return true;
      }
      return false;
    } finally {
      this.unlock();
    }
  }

  /**
   * When EPOCH moved: forgets this thread's views of chunks that are no
   * longer live (released, in their grace period or past it), and lets go
   * of the segments no chunk index names any more.
   *
   * A view is dropped as soon as its chunk is released, not when the index
   * becomes free: an operation that began after the release has no element
   * of the chunk to stand on (none was linked or handed out since), so it
   * needs no view; if the index is reused later, it resolves the new chunk.
   * An operation begun before the release may still stand on one of its
   * elements; it resolves the chunk again from DIR (minus its id) while the
   * grace period, which waits for it, keeps the index from being reused.
   */
  forgetReleased(): void {
    // The segments this thread holds now (the caller drained just before).
    // Only these may be dropped below: reading a directory page this thread
    // had not viewed yet drains its queue again, and what that brings in
    // may have been committed after CREATING was read.
    const held = this.segments.entries();
    for (let c = 0; c < this.known.length; c++) {
      const seg = this.known[c];
      if (seg === undefined) continue;
      if (this.dir.load(c, DIR_ID) === seg) continue;
      this.store.forget(c);
      this.known[c] = undefined;
    }
    // Chunks and directory pages this thread received that nothing names:
    // released and reclaimed chunks, or orphans of a dead creator. Taking
    // no lock (lookups call this): a chunk or page published and not yet
    // committed is named by CREATING, set before its publication and
    // cleared after its commit, so reading CREATING (Atomics.load) before
    // the page table and the directory sees it in one or the other. A
    // chunk's pages are linked before its id is committed, so a committed
    // chunk is always within the extent read after.
    const creating = Atomics.load(this.ctl, P_CREATING);
    const inUse = new Set<number>(this.dir.pageIds());
    const end = this.dir.extent();
    for (let c = 0; c < end; c++) {
      const id = this.dir.load(c, DIR_ID);
      if (id !== 0) inUse.add(Math.abs(id));
    }
    for (const [seg] of held) if (seg >= CHUNK_SEG_BASE && seg !== creating && !inUse.has(seg)) this.segments.drop(seg);
  }

  // ---- repair after a CPU death (under every bucket lock, then the pool lock) ----

  /**
   * Rebuilds every chunk's free list and live count from the elements
   * linked in the tables (`reached[e]` = 1): an element a dead CPU took and
   * never linked, or unlinked and never gave back, returns to its chunk.
   * Returns how many came back that no free list held.
   */
  rebuildLocked(reached: Uint8Array, owner: number): number {
    assertHeld(this.ctl, P_LOCK, owner, 'element pool lock');
    const ctl = this.ctl;
    // Cached elements stay where they are (their CPUs may be alive; a dead
    // CPU's cache is used by the next CPU started on its id): counted as
    // handed out, like the linked ones.
    const dir = this.dir;
    const end = this.span();
    // An element past `reached` would read as linked and never come back.
    if (reached.length < end * this.chunk) throw new Error(`rightsize: the repair marked ${reached.length} elements, the pool spans ${end * this.chunk}`);
    for (const e of this.cachedElements()) if (e >= 0 && e < reached.length) reached[e] = 1;
    let before = 0;
    let after = 0;
    let top = 0;
    let low = end;
    for (let c = 0; c < end; c++) {
      if (dir.get(c, DIR_ID) <= 0) continue;
      before += this.chunk - dir.get(c, DIR_LIVE);
      const first = c << this.shift;
      let head = -1;
      let live = 0;
      // Pushed from the top so that allocation takes slots in index order.
      for (let e = first + this.chunk - 1; e >= first; e--) {
        if (reached[e] !== 0) {
          live++;
          continue;
        }
        this.store.words(e)[this.store.base(e) + HASH] = head;
        head = e;
      }
      dir.set(c, DIR_FREE, head);
      dir.set(c, DIR_LIVE, live);
      after += this.chunk - live;
      top = c + 1;
      if (head >= 0 && c < low) low = c;
    }
    let allocated = 0;
    for (let c = 0; c < top; c++) if (dir.get(c, DIR_ID) > 0) allocated += dir.get(c, DIR_LIVE);
    ctl[P_ALLOCATED] = allocated;
    ctl[P_TOP] = top;
    ctl[P_LOW] = low === end ? 0 : low;
    return Math.max(0, after - before);
  }

  // ---- consistency checks (verify) ----

  /** Chunk c's free list (bounded by the chunk size, so a cycle shows as an overlong list). */
  freeList(c: number): number[] {
    const out: number[] = [];
    for (let e = this.dir.load(c, DIR_FREE); e >= 0 && out.length <= this.chunk; e = this.store.words(e)[this.store.base(e) + HASH]!) out.push(e);
    return out;
  }

  lockWord(): number {
    return Atomics.load(this.ctl, P_LOCK);
  }

  /** The shared cache's lock word (0 when free), for consistency checks. */
  sharedLockWord(): number {
    return Atomics.load(this.ctl, this.sharedLockAt());
  }
}

/**
 * The pool's fill (entries over the slots up to the top chunk) below which
 * background compaction empties the top chunk even when it is not sparse,
 * and deletes give CPU caches back. Memory then follows the entries down to
 * about twice what they need, at the cost of one relocation per entry moved;
 * a higher bar made the pool release and make the same chunks over and over
 * under steady churn (a chunk made costs a buffer and a publication to every
 * thread).
 */
export const UNDERFILLED = 0.5;

/**
 * The fill the resizer compacts up to before a shrink (Compaction.beforeShrink):
 * a shrink's extra table then comes on top of element memory at most a third
 * above what the entries need.
 */
export const SHRINK_FILL = 0.75;

/** ElementPool.alloc: the element needs a new chunk, and the chunk would pass spec.memoryBudget. */
export const OVER_BUDGET = -2;

/** ElementPool.release: the element went into the calling CPU's cache. */
export const CACHED = -1;

/** NEXT of element e, for walks that need no table (the relink repair). */
export function nextOf(store: ElementStore, e: ElementId): ElementId {
  return store.words(e)[store.base(e) + NEXT]! as ElementId;
}
