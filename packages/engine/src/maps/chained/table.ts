import { lockRecover, unlock, type LockOwners } from '../../locks/bucket-lock.js';
import { assertHeld, lockChecksOn, mirrorLockChecks, setLockChecks } from '../../locks/lock-checks.js';
import { recoveryStep } from '../../recovery/faults.js';
import { W_LOCKS_RECOVERED, W_RECORDS_REPLAYED } from '../header.js';
import type { LogRecord, RecoveryLog } from '../../recovery/log.js';
import { copyBytes } from '../../memory/byte-copy.js';
import { WordCopier } from '../../memory/word-copy.js';
import { HASH, NEXT, nullsOf } from './layout.js';
import type { ElementAllocator, ElementStore } from './allocator.js';
import type { BucketIndex, ElementId, WordOffset } from './ids.js';

/**
 * A chained hash table in shared memory: buckets of four words and elements
 * in an ElementStore. HASH uses one for its whole life; hash_resize has one
 * per table generation. Everything here holds for both.
 *
 * Bucket words: [HEAD] first element or the nulls terminator ~b, [LOCK] the
 * bucket lock (owner id), [SEQ] the bucket's seqlock, [SPARE] (hash_resize
 * marks there the migrated batches of a table it resizes from:
 * markMigrated). 16 bytes, as the kernel's bucket.
 *
 * Concurrency rules:
 * - A bucket's chain (HEAD and the NEXT words of its elements) and the values
 *   of its elements change only under the bucket's LOCK, and only between
 *   seqBegin (SEQ odd) and seqEnd (SEQ even again): every write of the
 *   section is visible after SEQ odd and before SEQ even (Atomics.add, a
 *   full barrier; on x86-64 plain stores, ordered by TSO: see SEQ_PLAIN).
 * - Lock-free readers load SEQ, walk the chain and copy with plain reads,
 *   and load SEQ again (Atomics.load; in the word lookups on x86-64 a plain
 *   read through a second view: see SEQ_PLAIN). Equal and even: nothing
 *   changed in between, the copy is whole, and since the first load is
 *   acquire-ordered (Atomics.load, or a plain load under x86-64's TSO) after
 *   the last writer's seqEnd, every write before it is seen. Otherwise retry.
 * - A chain can look cyclic to a reader racing with deletes and re-inserts
 *   (an element freed and put back at the head). Readers re-check SEQ every
 *   WALK_CHECK steps, so such a walk ends in a retry rather than a loop.
 * - After READ_RETRIES retries (a bucket rewritten faster than it can be
 *   read) a reader takes the bucket lock: bounded, never starving.
 * - A bucket lock taken over from a dead owner (lock() returns RECOVERED)
 *   is repaired before anything else reads the bucket under it: the dead
 *   owner's value write is replayed from its redo record and SEQ is made
 *   even again (recoverBucket; see recovery/log.ts).
 */
export const BUCKET_WORDS = 4;
export const HEAD = 0;
export const LOCK = 1;
export const SEQ = 2;
export const SPARE = 3;
const READ_RETRIES = 128;

/**
 * Where a reader's two reads of a bucket's SEQ (in the word lookups), and a
 * writer's increments of it (seqBegin, seqEnd), may be plain: x86-64 only.
 *
 * A seqlock reader needs (1) its first SEQ read ordered before its data
 * reads, (2) its data reads ordered before the validating SEQ read, and
 * (3) the two SEQ reads not merged into one.
 *
 * (1) and (2) in hardware: x86-64 is TSO, loads are not reordered with other
 * loads, so plain movs give both (the Linux seqlock on x86 is READ_ONCE plus
 * smp_rmb, and smp_rmb is only a compiler barrier there).
 * (1) and (2) in the compiler: V8 keeps typed-array loads in program order
 * (each is on the effect chain, and instruction scheduling is off on x64);
 * the data loads are also control-dependent on the parity test of the first
 * read, and an instruction selector folds a load only into a later use.
 * (3): the validating read goes through a second view of the same words
 * (ChainedTable.seqCheck), a different object: a compiler merges a load only
 * with an earlier load of the same object and index, and cannot prove that
 * two typed arrays share memory, so neither V8's load elimination today nor
 * a later one can turn the second read into the first.
 *
 * Under the bare ECMAScript memory model racing plain reads give no ordering
 * at all, so this relies on V8 on x86-64; every other architecture (ARM64
 * reorders loads, and stores) reads with Atomics.load and writes with
 * Atomics.add, a sequentially consistent read being LDAR there. The byte-key
 * lookup (lookupCopy) keeps Atomics.load for both reads everywhere.
 * test/threads/word-lookup-stress.test.ts fails when the validation is
 * removed: it would catch a merge.
 */
const SEQ_PLAIN = typeof process !== 'undefined' && process.arch === 'x64';
/** predecessorLocked: the element is not in the chain. */
const NOT_IN_CHAIN = -2;
/** A power of two (checked with a mask). */
const WALK_CHECK = 32;

/**
 * HEAD of a bucket whose elements a resize has relinked into the next table
 * (hash_resize). Distinct from every nulls terminator ~b (b < 2^30). Set under
 * the bucket lock inside a seqlock write section, or without the lock on an
 * empty idle bucket (markIdleEmpty), and never cleared: a bucket that is
 * MOVED stays MOVED until its table is freed.
 */
export const MOVED = -0x80000000;
/** lookupCopy / findElement result: the key's bucket was migrated; look in the next table. */
export const IN_NEXT_TABLE = -2;

/**
 * The lock-check flag (locks/lock-checks.ts, which says what it checks),
 * mirrored in this module's own variable: the bucket methods below test it on
 * every call, and a module variable is one load where an imported binding
 * goes through the import's cell.
 */
let lockChecks = false;
mirrorLockChecks((on) => {
  lockChecks = on;
});

// Re-exported for the chained core's users and the tests that take them from here.
export { assertHeld, lockChecksOn, setLockChecks };

/** Per-thread scratch for the key being looked for: bytes and the same bytes as words. */
export class KeyScratch {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  constructor(keySize: number) {
    const keyWords = (keySize + 3) >>> 2;
    this.words = new Int32Array(keyWords);
    this.bytes = new Uint8Array(this.words.buffer, 0, keySize);
  }
  load(key: Uint8Array): void {
    this.bytes.set(key);
  }
}

/**
 * `A` is the element pool the table's owner allocates from (HASH and LRU:
 * an ElementAllocator; hash_resize: its map-wide pool). The table itself
 * never allocates: it links, unlinks and relinks elements it is given.
 */
export class ChainedTable<A = ElementAllocator> {
  readonly mask: number;
  private readonly stride: number;
  private readonly keyOff: number;
  private readonly keyWords: number;
  readonly valOff: number;
  /** The map's redo records (null: a view that only reads, e.g. the checker's). */
  private log: RecoveryLog | null = null;
  /** The id of this table in redo records (hash_resize: its segment id). */
  private area = 0;
  /** The map header's words, where recoveries are counted. */
  private counters: Int32Array | null = null;
  private readonly copier = new WordCopier();
  /** The one element region of a preallocated map, as this thread views it (useFlatElements), else null. */
  private flat: Int32Array | null = null;
  /** Called after a bucket lock taken over from a dead owner was repaired (hash_resize finishes a relink there). */
  private onRecover: ((b: BucketIndex) => void) | null = null;
  /**
   * A second view of the bucket words, read only for a word lookup's
   * validating SEQ read on x86-64 (see SEQ_PLAIN): a different object from
   * `buckets`, so no compiler can take that read for a repeat of the first
   * SEQ read through `buckets` and merge the two.
   */
  private readonly seqCheck: Int32Array;

  constructor(
    readonly buckets: Int32Array,
    readonly nBuckets: number,
    readonly store: ElementStore,
    readonly alloc: A,
    readonly owners: LockOwners,
  ) {
    // An int32 field (a bucket count computed as a double would make it a boxed number, unboxed on every lookup).
    this.mask = (nBuckets - 1) | 0;
    this.seqCheck = new Int32Array(buckets.buffer, buckets.byteOffset, buckets.length);
    const l = store.layout;
    this.stride = l.stride;
    this.keyOff = l.keyOff;
    this.keyWords = l.keyWords;
    this.valOff = l.valOff;
  }

  /** Fills fresh bucket words: empty chains (each its own terminator), locks free, SEQ 0. */
  static initBuckets(buckets: Int32Array, nBuckets: number): void {
    for (let b = 0; b < nBuckets; b++) buckets[b * BUCKET_WORDS + HEAD] = nullsOf(b);
  }

  /** Makes writes through this table recoverable: value writes are recorded in `log` under `area`. */
  setRecovery(log: RecoveryLog, area: number, counters: Int32Array, onRecover: ((b: BucketIndex) => void) | null = null): void {
    this.log = log;
    this.area = area;
    this.counters = counters;
    this.onRecover = onRecover;
  }

  /** With lock checks on: throws unless the calling thread holds bucket b's lock. */
  assertBucketHeld(b: BucketIndex): void {
    if (lockChecks) assertHeld(this.buckets, b * BUCKET_WORDS + LOCK, this.owners.ownerId(), `bucket ${b} lock`);
  }

  lockBucket(b: BucketIndex, owner: number): number {
    // A recovery that throws hands the lock back to the dead owner (lockRecover): the next taker redoes it.
    // One closure for every call (no allocation per update): it reads the bucket being locked from a field.
    this.locking = b;
    return lockRecover(this.buckets, b * BUCKET_WORDS + LOCK, owner, this.owners, 'bucket lock', this.recoverLocking);
  }

  /** The bucket lockBucket is taking, for recoverLocking (read when the recovery starts, before it can lock another). */
  private locking = -1 as BucketIndex;
  private readonly recoverLocking = (): void => this.recoverBucket(this.locking);

  /**
   * Bucket b's lock was just taken over from a dead owner. Its chain is
   * whole (links change by single stores), but a value write may have been
   * cut short: replay the dead owner's redo record, inside a write section,
   * and leave SEQ even (closing the dead owner's section if it was open).
   */
  private recoverBucket(b: BucketIndex): void {
    const seq = b * BUCKET_WORDS + SEQ;
    // Every step can be redone by the next taker if this one fails after it
    // (lockRecover hands the lock back): an odd SEQ is left odd, a record
    // replayed twice writes the same bytes, one not marked IDLE is replayed again.
    recoveryStep('seq-open');
    if ((Atomics.load(this.buckets, seq) & 1) === 0) Atomics.add(this.buckets, seq, 1);
    let replayed = 0;
    if (this.log !== null) {
      replayed = this.log.replay(this.area, b, (rec) => {
        recoveryStep('replay');
        rec.replayInto(this.store.bytes(rec.elem), this.valueByteOffset(rec.elem as ElementId) + rec.offset);
      });
    }
    recoveryStep('seq-close');
    Atomics.add(this.buckets, seq, 1);
    if (this.counters !== null) {
      Atomics.add(this.counters, W_LOCKS_RECOVERED, 1);
      Atomics.add(this.counters, W_RECORDS_REPLAYED, replayed);
    }
    this.onRecover?.(b);
  }

  unlockBucket(b: BucketIndex): void {
    unlock(this.buckets, b * BUCKET_WORDS + LOCK);
  }

  /**
   * Start of a write section on bucket b (under its lock): readers of b will
   * retry. SEQ is written only under the bucket lock, so the increment needs
   * no atomic read-modify-write. On x86-64 it is a plain store (TSO keeps
   * stores in program order: SEQ odd is seen before the section's writes,
   * which are seen before SEQ even; the Linux seqcount writer on x86 is the
   * same, smp_wmb being a compiler barrier, and V8 keeps typed-array stores
   * in effect-chain order). Elsewhere Atomics.add, a full barrier
   * (seqStepOrdered, put in place by the static block below).
   */
  seqBegin(b: BucketIndex): void {
    const i = b * BUCKET_WORDS + SEQ;
    this.buckets[i] = this.buckets[i]! + 1;
  }

  /** End of the write section seqBegin opened: SEQ even again (the same store; see seqBegin). */
  seqEnd(b: BucketIndex): void {
    const i = b * BUCKET_WORDS + SEQ;
    this.buckets[i] = this.buckets[i]! + 1;
  }

  /** seqBegin and seqEnd where a plain store is not enough (every architecture but x86-64, see SEQ_PLAIN). */
  private seqStepOrdered(b: BucketIndex): void {
    Atomics.add(this.buckets, b * BUCKET_WORDS + SEQ, 1);
  }

  head(b: BucketIndex): number {
    return Atomics.load(this.buckets, b * BUCKET_WORDS + HEAD);
  }

  /** Whether element `e` holds the key in `k` (compared a word at a time; padding is zero on both sides). */
  keyEquals(w: Int32Array, base: WordOffset, k: Int32Array): boolean {
    const off = base + this.keyOff;
    for (let i = 0; i < this.keyWords; i++) if (w[off + i] !== k[i]) return false;
    return true;
  }

  /**
   * Lock-free lookup. Copies `len` value bytes, starting `from` bytes into the
   * value, to `out[outOff..]` and returns the element, -1 when the key is
   * absent, or IN_NEXT_TABLE when its bucket was migrated. Validated by the bucket seqlock: never torn, never a stale miss.
   */
  lookupCopy(hash: number, k: Int32Array, out: Uint8Array, outOff: number, from: number, len: number): number {
    const bi = (hash & this.mask) * BUCKET_WORDS;
    const bk = this.buckets;
    const store = this.store;
    const smask = store.mask;
    const shift = store.shift;
    const stride = this.stride;
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const s1 = Atomics.load(bk, bi + SEQ);
      if ((s1 & 1) !== 0) continue;
      let e = bk[bi + HEAD]!;
      let found = e === MOVED ? IN_NEXT_TABLE : -1;
      let steps = 0;
      while (e >= 0) {
        const w = store.i32[e >>> shift] ?? store.load(e >>> shift);
        const base = ((e & smask) * stride) as WordOffset;
        if (w[base + HASH] === hash && this.keyEquals(w, base, k)) {
          copyBytes(store.u8[e >>> shift]!, (base + this.valOff) * 4 + from, out, outOff, len);
          found = e;
          break;
        }
        e = w[base + NEXT]!;
        if (++steps % WALK_CHECK === 0 && Atomics.load(bk, bi + SEQ) !== s1) break;
      }
      if (Atomics.load(bk, bi + SEQ) === s1) return found;
    }
    return this.lookupLocked(hash, k, out, outOff, from, len);
  }

  /**
   * lookupCopy for the common case, a one-word key (keySize <= 4): the same
   * protocol with the key compare hoisted out of the loop. `out` receives
   * `len` bytes from `from` (a multiple of 4) at offset 0. The entry for
   * callers off the hot path: a map's program lookup calls lookupWordFlat
   * or lookupWordChunked itself once it knows their conditions hold.
   */
  lookupCopyWord(hash: number, k0: number, out: Uint8Array, from: number, len: number): number {
    if (len !== 4 || (from & 3) !== 0 || !LITTLE_ENDIAN) return this.lookupCopyWordGeneral(hash, k0, out, from, len);
    return this.flat !== null ? this.lookupWordFlat(hash, k0, out, from) : this.lookupWordChunked(hash, k0, out, from);
  }

  /**
   * The hot path of every preallocated hash-family lookup (docs/performance.md
   * has its figures): one attempt of lookupCopyWord for a 4-byte value at
   * `from` (a multiple of 4) over the flat element region. The caller
   * guarantees the conditions: useFlatElements was called, the value read is
   * one word, the machine is little-endian (`out` receives the word's bytes).
   * What makes it cheaper than lookupCopy, measured:
   * - the elements are one region: no chunk view lookup per element;
   * - the value is read as one word inside the read section and stored to
   *   `out` after validation (one load instead of four, no byte loop);
   * - on x86-64 both reads of SEQ are plain loads, the second through
   *   another view of the bucket words (see SEQ_PLAIN);
   * - no argument tests of its own, and small, so that it inlines into the
   *   program's loop together with the map's lookupU32Into (V8 inlines up to
   *   a cumulative bytecode budget). Anything unusual (an odd or changed
   *   SEQ, a chain longer than WALK_CHECK) takes the general walk, which
   *   retries.
   */
  lookupWordFlat(hash: number, k0: number, out: Uint8Array, from: number): number {
    const w = this.flat!;
    const bk = this.buckets;
    const bi = (hash & this.mask) * BUCKET_WORDS;
    const s1 = bk[bi + SEQ]!;
    // Read plain (x86-64 only: see SEQ_PLAIN and the static block below), tested before any data read, so that the walk is control-dependent on it.
    if ((s1 & 1) !== 0) return this.lookupCopyWordGeneral(hash, k0, out, from, 4);
    let e = bk[bi + HEAD]!;
    const stride = this.stride;
    const ko = this.keyOff;
    let v = 0;
    let steps = 0;
    while (e >= 0 && steps < WALK_CHECK) {
      const base = e * stride;
      if (w[base + HASH] === hash && w[base + ko] === k0) {
        v = w[base + this.valOff + (from >>> 2)]!;
        break;
      }
      e = w[base + NEXT]!;
      steps++;
    }
    if (steps === WALK_CHECK || this.seqCheck[bi + SEQ]! !== s1) return this.lookupCopyWordGeneral(hash, k0, out, from, 4);
    // No MOVED test: only hash_resize's tables are ever MOVED, and their elements are chunked.
    if (e >= 0) putWord(out, v);
    return e;
  }

  /**
   * lookupWordFlat over chunked elements (noPrealloc HASH, hash_resize's
   * pool), under the same conditions but the flat region: the flat walk plus
   * one view lookup per element. A chunk this thread has no view of yet, like
   * anything else unusual, goes to the general walk, which makes the view. A
   * deliberate copy of the flat walk: merging them puts the chunk lookup on
   * the flat path, which is the cost the flat region exists to avoid.
   */
  lookupWordChunked(hash: number, k0: number, out: Uint8Array, from: number): number {
    const bk = this.buckets;
    const bi = (hash & this.mask) * BUCKET_WORDS;
    const s1 = bk[bi + SEQ]!;
    // Read plain (x86-64 only: see SEQ_PLAIN and the static block below), tested before any data read, so that the walk is control-dependent on it.
    if ((s1 & 1) !== 0) return this.lookupCopyWordGeneral(hash, k0, out, from, 4);
    const head = bk[bi + HEAD]!;
    const store = this.store;
    const views = store.i32;
    const shift = store.shift;
    const smask = store.mask;
    const stride = this.stride;
    const ko = this.keyOff;
    let e = head;
    let v = 0;
    let steps = 0;
    while (e >= 0 && steps < WALK_CHECK) {
      const w = views[e >>> shift];
      if (w === undefined) return this.lookupCopyWordGeneral(hash, k0, out, from, 4);
      const base = (e & smask) * stride;
      if (w[base + HASH] === hash && w[base + ko] === k0) {
        v = w[base + this.valOff + (from >>> 2)]!;
        break;
      }
      e = w[base + NEXT]!;
      steps++;
    }
    if (steps === WALK_CHECK || this.seqCheck[bi + SEQ]! !== s1) return this.lookupCopyWordGeneral(hash, k0, out, from, 4);
    if (e >= 0) {
      putWord(out, v);
      return e;
    }
    return head === MOVED ? IN_NEXT_TABLE : -1;
  }

  /**
   * What lookupWordFlat and lookupWordChunked are where SEQ may not be read
   * plain (every architecture but x86-64, see SEQ_PLAIN): the general walk,
   * whose SEQ reads are Atomics.load.
   */
  private lookupWordOrdered(hash: number, k0: number, out: Uint8Array, from: number): number {
    return this.lookupCopyWordGeneral(hash, k0, out, from, 4);
  }

  static {
    // The one-attempt word walks read SEQ plain and the write sections step it
    // with plain stores, sound on x86-64 only. Elsewhere they are replaced
    // once, here, rather than branching on SEQ_PLAIN inside them: an Atomics
    // operation in their graph, even on a branch never taken, cost about 2 ns
    // per lookup at 64 Ki keys (micro/lookup-steps.js).
    if (!SEQ_PLAIN) {
      ChainedTable.prototype.lookupWordFlat = ChainedTable.prototype.lookupWordOrdered;
      ChainedTable.prototype.lookupWordChunked = ChainedTable.prototype.lookupWordOrdered;
      ChainedTable.prototype.seqBegin = ChainedTable.prototype.seqStepOrdered;
      ChainedTable.prototype.seqEnd = ChainedTable.prototype.seqStepOrdered;
    }
  }

  /**
   * lookupCopyWord for everything else, with retries: chunked elements
   * (noPrealloc, hash_resize's pool; each element's chunk view looked up),
   * values other than one word, and the flat walk's retries. The flat walk
   * above is a deliberate copy of one attempt of this one, without the chunk lookup.
   */
  private lookupCopyWordGeneral(hash: number, k0: number, out: Uint8Array, from: number, len: number): number {
    const bi = (hash & this.mask) * BUCKET_WORDS;
    const bk = this.buckets;
    const sq = this.seqCheck;
    const store = this.store;
    const shift = store.shift;
    const smask = store.mask;
    const stride = this.stride;
    const ko = this.keyOff;
    const word = len === 4 && (from & 3) === 0 && LITTLE_ENDIAN;
    const vo = this.valOff + (from >>> 2);
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const s1 = SEQ_PLAIN ? bk[bi + SEQ]! : Atomics.load(bk, bi + SEQ);
      if ((s1 & 1) !== 0) continue;
      let e = bk[bi + HEAD]!;
      let found = e === MOVED ? IN_NEXT_TABLE : -1;
      let v = 0;
      let steps = 0;
      while (e >= 0) {
        const c = e >>> shift;
        const w = store.i32[c] ?? store.load(c);
        const base = (e & smask) * stride;
        if (w[base + HASH] === hash && w[base + ko] === k0) {
          if (word) v = w[base + vo]!;
          else copyBytes(store.u8[c]!, (base + this.valOff) * 4 + from, out, 0, len);
          found = e;
          break;
        }
        e = w[base + NEXT]!;
        if ((++steps & (WALK_CHECK - 1)) === 0 && (SEQ_PLAIN ? sq[bi + SEQ]! : Atomics.load(bk, bi + SEQ)) !== s1) break;
      }
      if ((SEQ_PLAIN ? sq[bi + SEQ]! : Atomics.load(bk, bi + SEQ)) === s1) {
        if (word && found >= 0) putWord(out, v);
        return found;
      }
    }
    return this.lookupWordLocked(hash, k0, out, from, len);
  }

  private lookupWordLocked(hash: number, k0: number, out: Uint8Array, from: number, len: number): number {
    const k = new Int32Array(1);
    k[0] = k0;
    return this.lookupLocked(hash, k, out, 0, from, len);
  }

  /**
   * The elements are one region for the table's whole life (a preallocated
   * map: one chunk, made at creation, never released): lookups index it
   * directly. Called by the owner once chunk 0 exists in this thread.
   */
  useFlatElements(): void {
    const store = this.store;
    if (store.maxElements > store.chunkSize) throw new Error('rightsize: useFlatElements on a store of more than one chunk');
    this.flat = store.words(0);
  }

  /** Whether lookupCopyWord applies to this table. */
  get wordKeyFastPath(): boolean {
    return this.keyWords === 1;
  }

  private lookupLocked(hash: number, k: Int32Array, out: Uint8Array, outOff: number, from: number, len: number): number {
    const b = (hash & this.mask) as BucketIndex;
    this.lockBucket(b, this.owners.ownerId());
    try {
      if (this.isMoved(b)) return IN_NEXT_TABLE;
      const e = this.findLocked(b, hash, k);
      if (e >= 0) copyBytes(this.store.bytes(e), this.valueByteOffset(e) + from, out, outOff, len);
      return e;
    } finally {
      this.unlockBucket(b);
    }
  }

  /**
   * Lock-free: the element holding the key (an index valid until the caller's
   * next quiescent point, as a kernel lookup's pointer is), or -1.
   */
  findElement(hash: number, k: Int32Array): ElementId {
    const bi = (hash & this.mask) * BUCKET_WORDS;
    const bk = this.buckets;
    const store = this.store;
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const s1 = Atomics.load(bk, bi + SEQ);
      if ((s1 & 1) !== 0) continue;
      let e = bk[bi + HEAD]! as ElementId;
      let found = (e === MOVED ? IN_NEXT_TABLE : -1) as ElementId;
      let steps = 0;
      while (e >= 0) {
        const w = store.words(e);
        const base = ((e & store.mask) * this.stride) as WordOffset;
        if (w[base + HASH] === hash && this.keyEquals(w, base, k)) {
          found = e;
          break;
        }
        e = w[base + NEXT]! as ElementId;
        if (++steps % WALK_CHECK === 0 && Atomics.load(bk, bi + SEQ) !== s1) break;
      }
      if (Atomics.load(bk, bi + SEQ) === s1) return found;
    }
    const b = (hash & this.mask) as BucketIndex;
    this.lockBucket(b, this.owners.ownerId());
    try {
      return this.isMoved(b) ? (IN_NEXT_TABLE as ElementId) : this.findLocked(b, hash, k);
    } finally {
      this.unlockBucket(b);
    }
  }

  /** Whether bucket b was migrated to the next table (final once true). */
  isMoved(b: BucketIndex): boolean {
    return Atomics.load(this.buckets, b * BUCKET_WORDS + HEAD) === MOVED;
  }

  /**
   * hash_resize: buckets [start, end) of this table, a migration claim, are
   * all MOVED (the caller's migrateRange returned, and MOVED is final).
   * Marks each unit of `unit` buckets (a unit starts at a multiple of `unit`;
   * the last one ends at the table's end) that lies wholly inside, in the
   * SPARE word of its first bucket, so that allMoved reads one word for it
   * instead of every bucket. Atomics.store: a reader that sees the mark
   * (Atomics.load) sees every MOVED store made before it.
   *
   * A table is migrated from once (into the FUT its resize published) and
   * SPARE is 0 in a fresh table and written nowhere else, so a mark is
   * never stale. It is only a shortcut: a unit without one (its migrator
   * died before marking, or 'help' writers and the tests migrated it bucket
   * by bucket) is checked bucket by bucket.
   */
  markMigrated(start: BucketIndex, end: BucketIndex, unit: number): void {
    const bk = this.buckets;
    for (let u = Math.ceil(start / unit) * unit; u < end; u += unit) {
      if (Math.min(u + unit, this.nBuckets) <= end) Atomics.store(bk, u * BUCKET_WORDS + SPARE, 1);
    }
  }

  /**
   * Whether every bucket is MOVED (the end of a resize from this table),
   * per unit of `unit` buckets: a unit marked by markMigrated is; any other
   * is scanned. A plain read that finds MOVED is final (MOVED is the last
   * value a bucket's HEAD ever takes); only a bucket that reads otherwise is
   * read again with Atomics.load. Before the marks this scan was 4-7 ns per
   * entry of a resize (2-4 buckets per entry, one cache line per 4 buckets).
   */
  allMoved(unit: number): boolean {
    const bk = this.buckets;
    const nb = this.nBuckets;
    for (let u = 0; u < nb; u += unit) {
      if (Atomics.load(bk, u * BUCKET_WORDS + SPARE) !== 0) continue;
      const to = Math.min(u + unit, nb) * BUCKET_WORDS;
      for (let i = u * BUCKET_WORDS + HEAD; i < to; i += BUCKET_WORDS) if (bk[i] !== MOVED && Atomics.load(bk, i) !== MOVED) return false;
    }
    return true;
  }

  /**
   * isMoved under b's lock: a plain read. Taking the lock (a compareExchange)
   * synchronized with the last holder's unlock, after which HEAD was not
   * written: the read sees the last value.
   */
  isMovedLocked(b: BucketIndex): boolean {
    if (lockChecks) this.assertBucketHeld(b);
    return this.buckets[b * BUCKET_WORDS + HEAD] === MOVED;
  }

  /** Under the bucket lock: the element holding the key, or -1. */
  findLocked(b: BucketIndex, hash: number, k: Int32Array): ElementId {
    if (lockChecks) this.assertBucketHeld(b);
    let e = this.buckets[b * BUCKET_WORDS + HEAD]! as ElementId;
    const store = this.store;
    while (e >= 0) {
      const w = store.words(e);
      const base = ((e & store.mask) * this.stride) as WordOffset;
      if (w[base + HASH] === hash && this.keyEquals(w, base, k)) return e;
      e = w[base + NEXT]! as ElementId;
    }
    return -1 as ElementId;
  }

  /**
   * Under the lock of e's bucket b: rewrites `len` bytes of e's value at `at`
   * from `src[srcOff..]`. With `rec` (the caller's redo record, from
   * RecoveryLog.prepare), the write survives the caller's death: it is
   * recorded before the section opens and replayed by whoever takes the lock over.
   */
  writeValue(b: BucketIndex, e: ElementId, at: number, src: Uint8Array, srcOff: number, len: number, rec: LogRecord | null = null): void {
    if (isWordWrite(at, len)) {
      const w = this.store.words(e);
      this.seqBegin(b);
      w[this.store.base(e) + this.valOff + (at >>> 2)] = src[srcOff]! | (src[srcOff + 1]! << 8) | (src[srcOff + 2]! << 16) | (src[srcOff + 3]! << 24);
      this.seqEnd(b);
      return;
    }
    if (rec !== null) rec.begin(this.area, b, e, at, src, srcOff, len);
    this.seqBegin(b);
    this.copier.copy(src, srcOff, this.store.words(e), this.store.bytes(e), this.valueByteOffset(e) + at, len);
    this.seqEnd(b);
    if (rec !== null) rec.end();
  }

  /** Under the lock of e's bucket b: adds delta to the value word `word` (0-based) of e. */
  addToValueWord(b: BucketIndex, e: ElementId, word: number, delta: number): void {
    const w = this.store.words(e);
    const at = this.store.base(e) + this.valOff + word;
    this.seqBegin(b);
    w[at] = (w[at]! + delta) | 0;
    this.seqEnd(b);
  }

  /**
   * Under the bucket lock: writes a fresh element e (hash, key, value) and
   * links it at bucket b's head. The value area is zeroed, then `len` bytes
   * of `src` are written at `at` (a per-CPU insert from a program fills its
   * own CPU's slot only, as the kernel does).
   */
  linkNew(b: BucketIndex, e: ElementId, hash: number, k: Int32Array, src: Uint8Array, at: number, len: number): void {
    const store = this.store;
    const w = store.words(e);
    const base = (e & store.mask) * this.stride;
    const u8 = store.bytes(e);
    const vb = (base + this.valOff) * 4;
    const bi = b * BUCKET_WORDS;
    // Readers of another bucket may still stand on e (it was freed from their
    // chain): their bucket's SEQ moved when it was unlinked, so they retry.
    this.seqBegin(b);
    w[base + HASH] = hash;
    const off = base + this.keyOff;
    for (let i = 0; i < this.keyWords; i++) w[off + i] = k[i]!;
    const total = store.layout.valueBytes;
    if (len < total) u8.fill(0, vb, vb + total);
    copyBytes(src, 0, u8, vb + at, len);
    w[base + NEXT] = this.buckets[bi + HEAD]!;
    this.buckets[bi + HEAD] = e;
    this.seqEnd(b);
  }

  /**
   * hash_resize's relink (rhashtable_rehash_one): moves `tail`, the LAST
   * element of bucket ob's chain (`beforeTail` its predecessor, -1 when it
   * is the head: the caller read the chain once under the lock), to the head
   * of bucket nb of table `dst` (same element pool), without copying it. The
   * caller holds ob's lock, then nb's (old before new, always), and keeps
   * both write sections open (ob's across the whole bucket, nb's across every
   * element it receives from ob).
   *
   * Three single stores, in this order: e.NEXT = nb's head; nb's head = e;
   * then e's predecessor (or ob's head) ends ob's chain on its own
   * terminator. Moving the tail keeps the rest of ob's chain intact at every
   * step, so a writer killed between two stores leaves either ob's chain
   * running on into nb's chain through e, or e in both chains:
   * Migration.finishRelink completes the move from either state (it finds e
   * as nb's head, or as the element whose NEXT is nb's head).
   */
  moveTailLocked(ob: BucketIndex, dst: ChainedTable<A>, nb: BucketIndex, tail: ElementId, beforeTail: ElementId | -1): void {
    if (lockChecks) {
      this.assertBucketHeld(ob);
      dst.assertBucketHeld(nb);
    }
    const store = this.store;
    const nbi = nb * BUCKET_WORDS;
    store.words(tail)[store.base(tail) + NEXT] = dst.buckets[nbi + HEAD]!;
    dst.buckets[nbi + HEAD] = tail;
    this.linkAfter(ob, beforeTail, nullsOf(ob));
  }

  /**
   * hash_resize's migration of old buckets [start, end) of this table (one
   * migration claim) into `dst`, the future table: each ends MOVED. Empty
   * idle buckets are marked without their lock (markIdleEmpty); every other
   * one is relinked under its lock, one old bucket lock at a time
   * (relinkLocked). A bucket found MOVED under its lock was migrated by
   * someone else (a batch taken over, a 'help' writer): MOVED is final,
   * nothing to do. Returns the elements moved.
   *
   * A chain of one element (about 80% of the non-empty buckets of a grow at
   * half load, 90% of a shrink's at a quarter) is relinked here, inline:
   * relinkLocked's protocol for one element, without its chain scratch,
   * loops and call (about 7 ns per entry of a resize). Locks: ob, then its
   * one new bucket (the lock order). Write sections: ob's and nb's, open
   * around the three stores, in relinkLocked's order (e.NEXT = nb's head;
   * nb's head = e; ob's HEAD = MOVED), so a migrator killed between two
   * stores leaves e in both chains, which Migration.finishRelink completes.
   * Nothing between taking nb's lock and releasing it can throw.
   */
  migrateRange(start: BucketIndex, end: BucketIndex, dst: ChainedTable<A>, owner: number, s: RelinkScratch): number {
    const bk = this.buckets;
    const fbk = dst.buckets;
    const moved = MOVED | 0;
    const words = BUCKET_WORDS;
    const headAt = HEAD;
    const nextAt = NEXT;
    const hashAt = HASH;
    const store = this.store;
    const views = store.i32;
    const shift = store.shift;
    const smask = store.mask;
    const stride = this.stride;
    const fmask = dst.mask;
    let n = 0;
    for (let ob = this.markIdleEmpty(start, end); ob < end; ob = this.markIdleEmpty((ob + 1) as BucketIndex, end)) {
      const obi = ob * words;
      this.lockBucket(ob, owner);
      try {
        const e = bk[obi + headAt]!;
        if (e === moved) continue;
        const w = e >= 0 ? views[e >>> shift] : undefined;
        const base = (e & smask) * stride;
        if (w !== undefined && w[base + nextAt]! < 0) {
          // One element (see above).
          const nb = (w[base + hashAt]! & fmask) as BucketIndex;
          const nbi = nb * words;
          dst.lockBucket(nb, owner);
          this.seqBegin(ob);
          dst.seqBegin(nb);
          w[base + nextAt] = fbk[nbi + headAt]!;
          fbk[nbi + headAt] = e;
          bk[obi + headAt] = moved;
          dst.seqEnd(nb);
          dst.unlockBucket(nb);
          this.seqEnd(ob);
          n++;
        } else n += this.relinkLocked(ob, dst, true, owner, s);
      } finally {
        this.unlockBucket(ob);
      }
    }
    return n;
  }

  /**
   * hash_resize's relink of old buckets that are empty and unlocked, without
   * their lock: marks them MOVED, from `start` up to the first bucket that
   * needs its lock (held, or with elements), which it returns (`end` when
   * none). Only for a table a resize migrates from, its FUT published before
   * this call.
   *
   * Why no lock is needed then: an empty chain gains an element only by an
   * insert, and an insert goes into this table only when its writer read
   * FUT as 0 under the bucket lock. Reading the lock free here (after this
   * thread's Atomics.load of FUT, which was published) means that every
   * holder so far has released it (its insert, if any, is seen: the load
   * synchronizes with its unlock) and that every later holder reads FUT
   * after the publication and inserts into the future table instead. A later
   * holder that meets the bucket empty or MOVED treats both alike (the key
   * is in the next table), and readers do the same, so the store needs no
   * write section. MOVED is final: nothing ever writes HEAD again.
   *
   * On x86-64 (see SEQ_PLAIN) the LOCK load and the MOVED store are plain:
   * TSO keeps loads in order and a store seen by one thread seen by all, so
   * the LOCK read still comes after this thread's read of FUT and before any
   * later holder's own read of FUT, and a holder's writes before its unlock
   * are seen once its unlock is; V8 keeps typed-array loads in effect-chain
   * order, and HEAD is read only if LOCK was 0. Elsewhere Atomics: the
   * finish's scan and the next lock holder see the MOVED store.
   *
   * Most old buckets of a grow (about 60% at half load) and of a shrink
   * (about 80% at a quarter load) are empty, so this loop is most of a
   * resize's buckets: it has no call, and the constants are locals (V8 loads
   * a module constant from its cell at every use, and MOVED, outside the
   * small-integer range, is a heap number): 1.2 ns per bucket, against
   * 3.3 ns for a call per bucket with the module constants.
   */
  private markIdleEmpty(start: BucketIndex, end: BucketIndex): BucketIndex {
    const bk = this.buckets;
    const moved = MOVED | 0;
    const words = BUCKET_WORDS;
    const lockAt = LOCK;
    const headAt = HEAD;
    const plain = SEQ_PLAIN;
    let bi = start * words;
    for (let b = start; b < end; b++, bi += words) {
      if ((plain ? bk[bi + lockAt]! : Atomics.load(bk, bi + lockAt)) !== 0) return b;
      const head = bk[bi + headAt]!;
      if (head === moved) continue;
      // Not empty (~b is its terminator, nullsOf).
      if (head !== ~b) return b;
      if (plain) bk[bi + headAt] = moved;
      else Atomics.store(bk, bi + headAt, moved);
    }
    return end;
  }

  /**
   * hash_resize's relink of a whole old bucket (rhashtable_rehash_chain):
   * under ob's lock, ob not MOVED, moves every element of ob's chain to its
   * bucket in `dst` (the future table, same element pool), tail first, then
   * marks ob MOVED. The same moves as moveTailLocked, written out in one
   * loop: the chain is read once (each element's NEXT and HASH from one
   * cache line), and no call, chunk-view lookup or field load is repeated
   * per element. Returns the elements moved.
   *
   * Locks and write sections, the only atomics here: ob's section stays open
   * across the moves (a lock-free reader of ob retries until the bucket is
   * settled, then finds it MOVED and looks in `dst`). Each new bucket that
   * receives an element is locked (old, then new: the lock order) and its
   * section opened on its first element only, and both are held until ob
   * is done; a new bucket that receives nothing is not touched. No other
   * thread can hold two of these new buckets and wait for ours (see
   * Migration's lock order): a writer holds one bucket at a time; another
   * migrator's old bucket sends its elements to other new buckets or, in a
   * shrink, waits for the same one alone; the repair takes every old bucket
   * before any new one. `lockNew` false: the caller already holds every
   * bucket lock of `dst`.
   *
   * The stores of one move, in this order: e.NEXT = nb's head; nb's head =
   * e; then e's predecessor's NEXT = ob's terminator, or, for the head
   * element (the last one moved), ob's HEAD = MOVED directly (the empty
   * chain's terminator would be overwritten by MOVED in the same section).
   * Every element stays reachable from ob or from its new bucket at every
   * step, so a migrator killed between two stores leaves ob's chain running
   * on into nb's, or e in both: Migration.finishRelink completes the move
   * (ob's HEAD then reads e or an element, never MOVED, until it is done).
   */
  relinkLocked(ob: BucketIndex, dst: ChainedTable<A>, lockNew: boolean, owner: number, s: RelinkScratch): number {
    if (lockChecks) this.assertBucketHeld(ob);
    const bk = this.buckets;
    const words = BUCKET_WORDS;
    const obi = ob * words;
    const store = this.store;
    const views = store.i32;
    const shift = store.shift;
    const smask = store.mask;
    const stride = this.stride;
    const fmask = dst.mask;
    // Module constants as locals (see markIdleEmpty).
    const headAt = HEAD;
    const nextAt = NEXT;
    const hashAt = HASH;
    const moved = MOVED | 0;
    let chain = s.chain;
    let dest = s.dest;
    let n = 0;
    for (let e = bk[obi + headAt]!; e >= 0; n++) {
      if (n === chain.length) {
        s.widenChain();
        chain = s.chain;
        dest = s.dest;
      }
      const w = views[e >>> shift] ?? store.load(e >>> shift);
      const base = (e & smask) * stride;
      chain[n] = e;
      dest[n] = w[base + hashAt]! & fmask;
      e = w[base + nextAt]!;
    }
    if (n === 0) {
      // Empty: no reader needs a section to tell empty from MOVED (both send it to dst).
      bk[obi + headAt] = moved;
      return 0;
    }
    const fbk = dst.buckets;
    let held: Int32Array = s.held;
    let nHeld = 0;
    this.seqBegin(ob);
    try {
      for (let i = n - 1; i >= 0; i--) {
        const e = chain[i]!;
        const nb = dest[i]! as BucketIndex;
        let seen = false;
        for (let j = 0; j < nHeld; j++) {
          if (held[j] === nb) {
            seen = true;
            break;
          }
        }
        if (!seen) {
          if (nHeld === held.length) held = s.widenHeld();
          if (lockNew) dst.lockBucket(nb, owner);
          held[nHeld++] = nb;
          dst.seqBegin(nb);
        }
        const nbi = nb * words;
        views[e >>> shift]![(e & smask) * stride + nextAt] = fbk[nbi + headAt]!;
        fbk[nbi + headAt] = e;
        if (i > 0) {
          const p = chain[i - 1]!;
          // ob's chain ends at p, on ob's terminator (nullsOf).
          views[p >>> shift]![(p & smask) * stride + nextAt] = ~ob;
        } else bk[obi + headAt] = moved;
      }
    } finally {
      for (let j = 0; j < nHeld; j++) {
        const nb = held[j]! as BucketIndex;
        dst.seqEnd(nb);
        if (lockNew) dst.unlockBucket(nb);
      }
      this.seqEnd(ob);
    }
    return n;
  }

  /**
   * Under b's lock: b's chain, in order, into `out`; its length, or -1 when
   * it does not fit (the caller grows `out` and asks again).
   */
  chainIntoLocked(b: BucketIndex, out: Int32Array): number {
    if (lockChecks) this.assertBucketHeld(b);
    const store = this.store;
    let n = 0;
    for (let e = this.buckets[b * BUCKET_WORDS + HEAD]!; e >= 0; e = store.words(e)[store.base(e) + NEXT]!) {
      if (n === out.length) return -1;
      out[n++] = e;
    }
    return n;
  }

  /**
   * Under bucket b's lock, inside its write section: b's chain ends after
   * `prev` (is empty when prev is -1). hash_resize's relink repair cuts the
   * part of an old chain that a half-done relink left running into a new one.
   */
  endChainAfterLocked(b: BucketIndex, prev: ElementId | -1): void {
    if (lockChecks) this.assertBucketHeld(b);
    this.linkAfter(b, prev, nullsOf(b));
  }

  /**
   * Under bucket b's lock: puts element `ne` in e's place in b's chain, a
   * copy of e (hash, key, value; the pool's compaction moves an entry out of
   * a chunk it empties). One write section: a reader sees e or ne, whole.
   * Returns false when e is not in b's chain (deleted or moved meanwhile).
   */
  replaceLocked(b: BucketIndex, e: ElementId, ne: ElementId): boolean {
    if (lockChecks) this.assertBucketHeld(b);
    const prev = this.predecessorLocked(b, e);
    if (prev === NOT_IN_CHAIN) return false;
    const store = this.store;
    const sw = store.words(e);
    const sbase = store.base(e);
    const w = store.words(ne);
    const base = store.base(ne);
    // ne is reachable from no chain yet (a reader still standing on it from
    // its previous life retries: its bucket's SEQ moved when it was unlinked).
    w[base + HASH] = sw[sbase + HASH]!;
    const off = base + this.keyOff;
    const soff = sbase + this.keyOff;
    for (let i = 0; i < this.keyWords; i++) w[off + i] = sw[soff + i]!;
    copyBytes(store.bytes(e), (sbase + this.valOff) * 4, store.bytes(ne), (base + this.valOff) * 4, store.layout.valueBytes);
    w[base + NEXT] = sw[sbase + NEXT]!;
    this.seqBegin(b);
    this.linkAfter(b, prev, ne);
    this.seqEnd(b);
    return true;
  }

  /** Under bucket b's lock: whether element e is in b's chain. */
  holdsLocked(b: BucketIndex, e: ElementId): boolean {
    if (lockChecks) this.assertBucketHeld(b);
    return this.predecessorLocked(b, e) !== NOT_IN_CHAIN;
  }

  /** Under bucket b's lock: e's predecessor in b's chain (-1 when e is the head), or NOT_IN_CHAIN. */
  private predecessorLocked(b: BucketIndex, e: ElementId): number {
    const store = this.store;
    let prev = -1;
    let cur = this.buckets[b * BUCKET_WORDS + HEAD]!;
    while (cur >= 0 && cur !== e) {
      prev = cur;
      cur = store.words(cur)[store.base(cur) + NEXT]!;
    }
    return cur === e ? prev : NOT_IN_CHAIN;
  }

  /** Inside bucket b's write section: the link after `prev` (b's HEAD when prev is -1) becomes `to`. */
  private linkAfter(b: BucketIndex, prev: number, to: number): void {
    if (prev < 0) this.buckets[b * BUCKET_WORDS + HEAD] = to;
    else this.store.words(prev)[this.store.base(prev) + NEXT] = to;
  }

  /** The stored hash of element e. */
  hashOf(e: ElementId): number {
    return this.store.words(e)[this.store.base(e) + HASH]!;
  }

  /**
   * Under the bucket lock: unlinks element e from bucket b's chain. Its own
   * NEXT is left intact so that a reader standing on it walks on (and then
   * retries on the changed SEQ). Returns false if e is not in the chain.
   */
  unlinkLocked(b: BucketIndex, e: ElementId): boolean {
    if (lockChecks) this.assertBucketHeld(b);
    const prev = this.predecessorLocked(b, e);
    if (prev === NOT_IN_CHAIN) return false;
    const next = this.store.words(e)[this.store.base(e) + NEXT]!;
    this.seqBegin(b);
    this.linkAfter(b, prev, next);
    this.seqEnd(b);
    return true;
  }

  /** Byte offset of element e's value within `store.bytes(e)`. */
  valueByteOffset(e: ElementId): number {
    return (this.store.base(e) + this.valOff) * 4;
  }

  /** Under the bucket lock: every element in bucket b's chain, in chain order. */
  chainLocked(b: BucketIndex, out: ElementId[]): ElementId[] {
    if (lockChecks) this.assertBucketHeld(b);
    out.length = 0;
    let e = this.buckets[b * BUCKET_WORDS + HEAD]! as ElementId;
    const store = this.store;
    while (e >= 0) {
      out.push(e);
      e = store.words(e)[store.base(e) + NEXT]! as ElementId;
    }
    return out;
  }

  /** Copies the key bytes of element e into `out`. */
  copyKey(e: ElementId, out: Uint8Array, outOff = 0): void {
    const base = this.store.base(e);
    copyBytes(this.store.bytes(e), (base + this.keyOff) * 4, out, outOff, this.store.layout.keySize);
  }
}

/**
 * One thread's scratch for ChainedTable.relinkLocked (a relink is never
 * nested): an array per old bucket was a tenth of a resize's time.
 */
export class RelinkScratch {
  /** The old chain, head first. */
  chain = new Int32Array(16);
  /** Each chain element's bucket in the new table. */
  dest = new Int32Array(16);
  /**
   * The new buckets held: one in a shrink, up to the growth factor in a grow
   * (2 for a doubling, 8 for an adaptive grow by 8x, 64 from 4 buckets to the
   * adaptive floor of 256), never more than the chain's length.
   */
  held = new Int32Array(8);

  widenChain(): void {
    const chain = new Int32Array(this.chain.length * 2);
    chain.set(this.chain);
    const dest = new Int32Array(chain.length);
    dest.set(this.dest);
    this.chain = chain;
    this.dest = dest;
  }

  widenHeld(): Int32Array {
    const held = new Int32Array(this.held.length * 2);
    held.set(this.held);
    this.held = held;
    return held;
  }
}

/** Typed arrays use the platform's byte order: a 4-byte value is one Int32 store only where that order is little-endian. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Whether writeValue writes `len` bytes at byte `at` of a value as one Int32
 * store: no death can tear a single store, so such a write needs no redo
 * record (callers skip preparing one).
 */
export function isWordWrite(at: number, len: number): boolean {
  return len === 4 && (at & 3) === 0 && LITTLE_ENDIAN;
}

/** A 4-byte value read as one little-endian word, stored to out[0..3]. */
function putWord(out: Uint8Array, v: number): void {
  out[0] = v;
  out[1] = v >>> 8;
  out[2] = v >>> 16;
  out[3] = v >>> 24;
}
