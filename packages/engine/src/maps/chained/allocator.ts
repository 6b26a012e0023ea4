import { lock, unlock, type LockOwners } from '../../locks/bucket-lock.js';
import { assertHeld, lockChecksOn } from '../../locks/lock-checks.js';
import { LINE_WORDS } from '../../memory/segments.js';
import type { ElementId, WordOffset } from './ids.js';
import { AUX, type ElemLayout } from './layout.js';

/**
 * Element storage: fixed-size chunks of elements addressed by a global index
 * (chunk = index >>> shift, slot = index & mask), and the allocator that hands
 * elements out.
 *
 * A preallocated map has one chunk holding maxEntries elements, made at
 * creation (the kernel's prealloc pool). A `noPrealloc` map starts with no
 * chunk and adds one when the pool runs dry, up to the bound: memory follows
 * the entries as they grow (chunks are kept when entries go away, as a slab
 * would; the free list reuses their elements).
 *
 * Control words (one cache line each, because every inserting CPU writes them):
 *   line 0: the allocator lock;
 *   line 1: [0] free-list head (-1 = empty), [1] bump (elements ever handed
 *           out), [2] capacity (elements in chunks so far), [3] chunks;
 *   line 2: [0] entries (live elements).
 * The free list and bump are changed only under the allocator lock; entries is
 * changed with atomic adds so that stats() reads it without the lock.
 */
export const ALLOC_CTL_WORDS = 3 * LINE_WORDS;
const L_LOCK = 0;
const L_FREE = LINE_WORDS;
const L_BUMP = LINE_WORDS + 1;
const L_CAP = LINE_WORDS + 2;
const L_CHUNKS = LINE_WORDS + 3;
const L_COUNT = 2 * LINE_WORDS;

/**
 * Makes the memory of chunk `c` (allocating it when `create`), returns its
 * buffer and offset.
 *
 * Creation must survive its creator's death at any step (the allocator lock
 * is then taken over and the next allocation creates chunk `c` again): a
 * source publishes a new buffer under a segment id never used before, then
 * commits it with one store of that id into a shared per-chunk word, then
 * counts its bytes. Asked to create a chunk that is already committed, it
 * returns that one (a dead creator got that far). A buffer published and
 * never committed is an orphan nobody addresses; bytes a dead creator did
 * not count are recounted by the map's repair.
 */
export interface ChunkSource {
  chunk(c: number, create: boolean): { sab: SharedArrayBuffer; byteOffset: number; elements: number } | null;
}

export class ElementStore {
  readonly i32: (Int32Array | undefined)[] = [];
  readonly u8: (Uint8Array | undefined)[] = [];
  readonly shift: number;
  readonly mask: number;

  constructor(
    readonly layout: ElemLayout,
    /** Elements per chunk: a power of two. */
    readonly chunkSize: number,
    private readonly source: ChunkSource,
    /** The most elements this store will ever address (one chunk when <= chunkSize). */
    readonly maxElements: number,
  ) {
    this.shift = Math.log2(chunkSize);
    this.mask = chunkSize - 1;
  }

  /** The Int32 view of the chunk that holds element `e` (loading it on first touch). */
  words(e: number): Int32Array {
    return this.i32[e >>> this.shift] ?? this.load(e >>> this.shift);
  }

  bytes(e: number): Uint8Array {
    const c = e >>> this.shift;
    if (this.u8[c] === undefined) this.load(c);
    return this.u8[c]!;
  }

  /** Word offset of element `e` within its chunk view. */
  base(e: number): WordOffset {
    return ((e & this.mask) * this.layout.stride) as WordOffset;
  }

  /**
   * Drops this thread's views of chunk c (hash_resize: a released chunk's
   * index may later hold a new chunk; a thread must not keep reading the old one).
   */
  forget(c: number): void {
    this.i32[c] = undefined;
    this.u8[c] = undefined;
  }

  load(c: number, create = false): Int32Array {
    const mem = this.source.chunk(c, create);
    if (!mem) throw new Error(`rightsize: element chunk ${c} does not exist (corrupt index?)`);
    // The view arrays stay dense: V8 turns an array into a dictionary when
    // an index lands about 1024 past its end (a thread whose first element
    // is in a high chunk of a map raised far), and every lookup's view read
    // would then be a hash probe.
    while (this.i32.length < c) {
      this.i32.push(undefined);
      this.u8.push(undefined);
    }
    const words = mem.elements * this.layout.stride;
    this.i32[c] = new Int32Array(mem.sab, mem.byteOffset, words);
    this.u8[c] = new Uint8Array(mem.sab, mem.byteOffset, words * 4);
    return this.i32[c]!;
  }
}

export class ElementAllocator {
  constructor(
    readonly store: ElementStore,
    /** Control words (see above), at word `at`. */
    readonly ctl: Int32Array,
    readonly at: number,
    /** Hard bound on live elements (maxEntries). */
    readonly limit: number,
    /** Most elements the chunks may ever hold. */
    readonly maxCapacity: number,
    /** Dead owners' locks are taken over; the caller's own id is read only by lock checks. */
    private readonly owners: LockOwners,
  ) {}

  /** Sets up the control words of a fresh store with `capacity` elements already in chunks. */
  static init(ctl: Int32Array, at: number, capacity: number, chunks: number): void {
    ctl[at + L_FREE] = -1;
    ctl[at + L_BUMP] = 0;
    ctl[at + L_CAP] = capacity;
    ctl[at + L_CHUNKS] = chunks;
    ctl[at + L_COUNT] = 0;
  }

  entries(): number {
    return Atomics.load(this.ctl, this.at + L_COUNT);
  }

  chunks(): number {
    return Atomics.load(this.ctl, this.at + L_CHUNKS);
  }

  /**
   * A free element's index, or -1 when the bound is reached. Counting first
   * (atomic add, undone on failure) is how the kernel bounds a noPrealloc map;
   * it also makes "full" independent of how the free list is spread.
   */
  alloc(owner: number): ElementId {
    if (Atomics.add(this.ctl, this.at + L_COUNT, 1) >= this.limit) {
      Atomics.sub(this.ctl, this.at + L_COUNT, 1);
      return -1 as ElementId;
    }
    lock(this.ctl, this.at + L_LOCK, owner, this.owners, 'element allocator lock');
    try {
      const head = this.ctl[this.at + L_FREE]! as ElementId;
      if (head >= 0) {
        const w = this.store.words(head);
        this.ctl[this.at + L_FREE] = w[this.store.base(head) + AUX]!;
        return head;
      }
      const bump = this.ctl[this.at + L_BUMP]!;
      if (bump >= this.ctl[this.at + L_CAP]!) this.addChunk(bump);
      this.ctl[this.at + L_BUMP] = bump + 1;
      return bump as ElementId;
    } catch (e) {
      Atomics.sub(this.ctl, this.at + L_COUNT, 1);
      throw e;
    } finally {
      unlock(this.ctl, this.at + L_LOCK);
    }
  }

  /**
   * Under the allocator lock, when the bump pointer reached CAP: makes the
   * chunk that holds element `bump` (or adopts it, see ChunkSource). CHUNKS is
   * stored before CAP and CAP is derived from it, so a creator killed between
   * any two steps leaves state the next caller completes: a committed chunk
   * is adopted, a CAP behind CHUNKS is recomputed, and no element index past
   * the committed chunks is ever handed out.
   */
  private addChunk(bump: number): void {
    const size = this.store.chunkSize;
    const chunks = this.ctl[this.at + L_CHUNKS]!;
    if (bump >= Math.min(chunks * size, this.maxCapacity)) {
      if (chunks * size >= this.maxCapacity) {
        // Cannot happen while count <= limit <= maxCapacity; kept as a loud check.
        throw new Error('rightsize: element pool exhausted below its bound (accounting bug)');
      }
      this.store.load(chunks, true);
      Atomics.store(this.ctl, this.at + L_CHUNKS, chunks + 1);
    }
    this.ctl[this.at + L_CAP] = Math.min(this.ctl[this.at + L_CHUNKS]! * size, this.maxCapacity);
  }

  /**
   * Returns element `e` to the free list. The caller has unlinked it under its
   * bucket lock (inside the bucket's seqlock write section, so a reader that
   * stood on it retries). Its NEXT stays as it was: such a reader walks on.
   */
  free(e: ElementId, owner: number): void {
    lock(this.ctl, this.at + L_LOCK, owner, this.owners, 'element allocator lock');
    const w = this.store.words(e);
    w[this.store.base(e) + AUX] = this.ctl[this.at + L_FREE]!;
    this.ctl[this.at + L_FREE] = e;
    unlock(this.ctl, this.at + L_LOCK);
    Atomics.sub(this.ctl, this.at + L_COUNT, 1);
  }

  /** Walks the free list (for consistency checks); stops after `max` steps. */
  freeList(max: number): number[] {
    const out: number[] = [];
    let e = Atomics.load(this.ctl, this.at + L_FREE);
    while (e >= 0 && out.length <= max) {
      out.push(e);
      e = this.store.words(e)[this.store.base(e) + AUX]!;
    }
    return out;
  }

  bump(): number {
    return Atomics.load(this.ctl, this.at + L_BUMP);
  }

  /** Elements in chunks so far (the pool an index must stay below). */
  capacity(): number {
    return Atomics.load(this.ctl, this.at + L_CAP);
  }

  /** The allocator's lock word (0 when free), for consistency checks. */
  lockWord(): number {
    return Atomics.load(this.ctl, this.at + L_LOCK);
  }

  /** The first element of the free list (-1: empty), for consistency checks. */
  freeHead(): number {
    return Atomics.load(this.ctl, this.at + L_FREE);
  }

  // ---- repair after a CPU death (recovery/log.ts) ----

  /** Takes the allocator lock for a repair (a dead owner's lock is taken over: its changes are single stores). */
  lockForRepair(owner: number): void {
    lock(this.ctl, this.at + L_LOCK, owner, this.owners, 'element allocator lock');
  }

  unlockForRepair(): void {
    unlock(this.ctl, this.at + L_LOCK);
  }

  /**
   * Under the allocator lock and every bucket lock of the table: rebuilds the
   * free list from the chains (`reached[e]` is 1 for every linked element,
   * `linked` of them): every element handed out and not linked goes back,
   * which gives back what a dead CPU took and never linked, or unlinked and
   * never freed; the live count becomes the linked count. Returns how many
   * elements came back that the old free list did not hold.
   */
  rebuildFreeList(reached: Uint8Array, linked: number): number {
    if (lockChecksOn()) assertHeld(this.ctl, this.at + L_LOCK, this.owners.ownerId(), 'element allocator lock');
    const bump = this.ctl[this.at + L_BUMP]!;
    let wasFree = 0;
    for (let e = this.ctl[this.at + L_FREE]!; e >= 0 && wasFree < bump; e = this.store.words(e)[this.store.base(e) + AUX]!) wasFree++;
    let head = -1;
    let free = 0;
    // Pushed from the top so that pops hand elements out in index order.
    for (let e = bump - 1; e >= 0; e--) {
      if (reached[e] !== 0) continue;
      this.store.words(e)[this.store.base(e) + AUX] = head;
      head = e;
      free++;
    }
    this.ctl[this.at + L_FREE] = head;
    Atomics.store(this.ctl, this.at + L_COUNT, linked);
    return Math.max(0, free - wasFree);
  }

  /**
   * Under the allocator lock: the live count becomes what is handed out and
   * not freed (a table being migrated away from, whose moved elements are in
   * no chain but stay allocated until the table is retired).
   */
  recountAllocated(): void {
    const bump = this.ctl[this.at + L_BUMP]!;
    let free = 0;
    for (let e = this.ctl[this.at + L_FREE]!; e >= 0 && free < bump; e = this.store.words(e)[this.store.base(e) + AUX]!) free++;
    Atomics.store(this.ctl, this.at + L_COUNT, bump - free);
  }
}
