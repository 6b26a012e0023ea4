import { currentCpu } from '../../context.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno, updateFlagsValid } from '../../errno.js';
import { hashKeySigned, randomSeed } from '../../hash/hasher.js';
import { xxh32U32Signed } from '../../hash/xxh32.js';
import { SegmentStore, allocArea, newMapId } from '../../memory/segments.js';
import { QuiescenceDomain } from '../../rcu/domain.js';
import { isPercpuType, nextPowerOfTwo, percpuValueStride, type NormalizedSpec } from '../../spec/map-spec.js';
import { MapBase, type BatchWalker, type MapParts } from '../base.js';
import { ALLOC_AT, MapHeader, W_DESTROYED } from '../header.js';
import type { BatchOptions, BatchResult, MapHandle, MapStats } from '../map.js';
import { ElementAllocator, ElementStore, type ChunkSource } from '../chained/allocator.js';
import type { BucketIndex, ElementId } from '../chained/ids.js';
import { elemLayout, type ElemLayout } from '../chained/layout.js';
import { pushEntryCopy, walkBatch, type BucketWalk } from '../chained/batch.js';
import { BUCKET_WORDS, ChainedTable, HEAD, KeyScratch, LITTLE_ENDIAN, isWordWrite } from '../chained/table.js';
import { copyBytes } from '../../memory/byte-copy.js';
import { RecoveryLog, type LogRecord } from '../../recovery/log.js';
import { markLinked, withAllBuckets } from '../chained/repair.js';
import { assertRepairLockHeld } from '../lock-contracts.js';

/**
 * Segment ids of a fixed-bucket hash map: the bucket array, then the
 * preallocated pool. noPrealloc chunks take fresh ids from the chunk
 * directory's counter (see ChunkSource: an id is never published twice).
 */
const SEG_BUCKETS = 1;
const SEG_CHUNK0 = 2;

/** Chunks a noPrealloc map may grow through (more means finer memory steps, more segments). */
const NOPREALLOC_CHUNKS = 32;
const MIN_CHUNK = 16;
/** Most bytes of one noPrealloc chunk: memory follows the entries in steps of at most this. */
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_PERCPU_HASH.
 *
 * Buckets: roundup_pow_of_two(maxEntries), as the kernel sizes them, each a
 * [head, lock] pair. Elements: a preallocated pool of maxEntries (the kernel's
 * default) or, with noPrealloc, chunks allocated as entries arrive. A full map
 * refuses a new key with -E2BIG; replacing an existing key works when full
 * because values are rewritten in place under the bucket lock and the
 * element's seqlock (the kernel needs a spare element per CPU for the same).
 *
 * Per-CPU values: an element holds nCpus values of roundup(valueSize, 8)
 * bytes, which is exactly the layout userspace reads and writes; a program
 * reads and writes only its own CPU's slot.
 */
export class HashMap extends MapBase {
  readonly table: ChainedTable;
  protected readonly ks: KeyScratch;
  protected readonly seed: number;
  /** The seed for xxh32U32Signed (MapHeader.seed32). */
  protected readonly seed32: number;
  private readonly chain: ElementId[] = [];
  /** The chunk directory (see chunkDirectory): which chunks exist, for the byte recount of a repair. */
  private readonly chunkDir: Int32Array;
  /** Redo records of in-place value writes (see recovery/log.ts). */
  protected readonly log: RecoveryLog;

  constructor(parts: MapParts, layout: ElemLayout) {
    super(parts);
    const spec = this.spec;
    this.seed = this.header.seed;
    this.seed32 = this.header.seed32;
    this.ks = new KeyScratch(spec.keySize);
    const nBuckets = hashBuckets(spec);
    const { chunkSize, capacity } = chunking(spec, layout.stride * 4);
    const segments = this.segments;
    const header = this.header;
    const bucketSab = segments.get(SEG_BUCKETS);
    // A handle whose spec was changed (or mixed with another map's segments)
    // would lay this spec's views over memory of another shape: refuse it
    // clearly, before any view exists.
    const want = bucketSegmentBytes(spec, layout);
    if (bucketSab.byteLength !== want) {
      throw new TypeError(`map handle: the bucket segment holds ${bucketSab.byteLength} bytes but the handle's spec needs ${want} (a forged or mixed-up handle)`);
    }
    const dir = chunkDirectory(bucketSab, nBuckets, spec, layout);
    this.chunkDir = dir;
    const source: ChunkSource = {
      chunk: (c, create) => {
        if (c * chunkSize >= capacity) return null;
        const elements = Math.min(chunkSize, capacity - c * chunkSize);
        const committed = Atomics.load(dir, DIR_CHUNKS + c);
        if (committed !== 0) {
          const sab = segments.get(committed);
          // As for the buckets above: memory of another shape than this spec's elements.
          if (sab.byteLength !== elements * layout.stride * 4) {
            throw new TypeError(`map handle: element chunk ${c} holds ${sab.byteLength} bytes but the handle's spec needs ${elements * layout.stride * 4} (a forged or mixed-up handle)`);
          }
          return { sab, byteOffset: 0, elements };
        }
        if (!create) return null;
        // Under the allocator lock: one creator at a time. A fresh id, the
        // buffer published under it, then the commit (see ChunkSource).
        const sab = new SharedArrayBuffer(elements * layout.stride * 4);
        const id = Atomics.add(dir, DIR_NEXT_ID, 1);
        segments.publish(id, sab);
        Atomics.store(dir, DIR_CHUNKS + c, id);
        header.addBytes(sab.byteLength);
        return { sab, byteOffset: 0, elements };
      },
    };
    const store = new ElementStore(layout, chunkSize, source, capacity);
    const alloc = new ElementAllocator(store, header.words, ALLOC_AT, spec.maxEntries, capacity, this.domain);
    const buckets = new Int32Array(bucketSab, 0, nBuckets * BUCKET_WORDS);
    this.table = new ChainedTable(buckets, nBuckets, store, alloc, this.domain);
    this.log = new RecoveryLog(header, segments, this.domain, this.userValueSize, (rec) => this.settleRecord(rec));
    this.table.setRecovery(this.log, SEG_BUCKETS, header.words);
    // A preallocated pool is one chunk from creation to destruction: lookups index it directly.
    if (!spec.flags.noPrealloc) this.table.useFlatElements();
    this.wordPath = this.table.wordKeyFastPath;
    this.cpuAware = this.percpu || spec.flags.wronly;
    this.flatElements = !spec.flags.noPrealloc;
    this.u32Word = this.u32Fast && this.wordPath && spec.valueSize === 4 && !spec.flags.wronly && LITTLE_ENDIAN;
    this.nCpus = spec.nCpus;
  }

  /**
   * lookupU32Into's fast part applies: a 4-byte key, a 4-byte value (one
   * word, per CPU for per-CPU types), a map userspace may read, a
   * little-endian machine (the word's bytes are the value's).
   */
  private readonly u32Word: boolean;
  /** The elements are one region (useFlatElements): lookupWordFlat, else lookupWordChunked. */
  private readonly flatElements: boolean;
  /** spec.nCpus, read by the per-CPU fast path without going through spec. */
  private readonly nCpus: number;

  /** Whether a lookup's answer depends on the caller being a CPU or userspace: per-CPU values, or a map userspace may not read. */
  private readonly cpuAware: boolean;

  /** One-word keys in a single chunk: lookups take ChainedTable.lookupCopyWord. */
  private readonly wordPath: boolean;

  /** The element layout of a spec (LRU types add their own words). */
  static layoutFor(spec: NormalizedSpec, extraWords = 0): ElemLayout {
    const valueBytes = isPercpuType(spec.type) ? spec.nCpus * percpuValueStride(spec.valueSize) : spec.valueSize;
    return elemLayout(spec.keySize, valueBytes, extraWords);
  }

  /** Bytes a map of this spec takes at creation (the budget check). */
  static bytesAtCreate(spec: NormalizedSpec, extraWords = 0): number {
    const layout = HashMap.layoutFor(spec, extraWords);
    return bucketSegmentBytes(spec, layout) + (spec.flags.noPrealloc ? 0 : spec.maxEntries * layout.stride * 4);
  }

  /** Allocates a new map's memory and returns its parts (shared with the LRU types). */
  static allocate(spec: NormalizedSpec, domain: QuiescenceDomain, extraWords = 0): MapParts {
    const nBuckets = hashBuckets(spec);
    // Both areas first: a map too big to allocate throws (naming spec.maxEntries)
    // before its header, channel or any bucket exists.
    const layout = HashMap.layoutFor(spec, extraWords);
    const bsab = allocArea(bucketSegmentBytes(spec, layout), 'spec.maxEntries', `bucket array (${nBuckets} buckets)`);
    const pool = spec.flags.noPrealloc
      ? null
      : allocArea(spec.maxEntries * layout.stride * 4, 'spec.maxEntries', `preallocated element pool (${spec.maxEntries} elements of ${layout.stride * 4} bytes)`);
    const header = MapHeader.create(spec.flags.zeroSeed ? 0 : randomSeed());
    const id = newMapId();
    const segments = SegmentStore.create(id, header.segmentControl(domain));
    ChainedTable.initBuckets(new Int32Array(bsab, 0, nBuckets * BUCKET_WORDS), nBuckets);
    const dir = chunkDirectory(bsab, nBuckets, spec, layout);
    dir[DIR_NEXT_ID] = SEG_CHUNK0 + 1;
    if (pool) dir[DIR_CHUNKS] = SEG_CHUNK0;
    segments.publish(SEG_BUCKETS, bsab);
    header.addBytes(bsab.byteLength);
    if (pool) {
      segments.publish(SEG_CHUNK0, pool);
      header.addBytes(pool.byteLength);
      ElementAllocator.init(header.words, ALLOC_AT, spec.maxEntries, 1);
    } else {
      ElementAllocator.init(header.words, ALLOC_AT, 0, 0);
    }
    return { id, spec, header, segments, domain };
  }

  static create(spec: NormalizedSpec, domain: QuiescenceDomain): HashMap {
    return new HashMap(HashMap.allocate(spec, domain), HashMap.layoutFor(spec));
  }

  static attach(h: MapHandle, parts: MapParts): HashMap {
    return new HashMap(parts, HashMap.layoutFor(h.spec));
  }

  // ---- keys ----

  /** Loads a byte key into the scratch and returns its hash (as a signed word, as stored). */
  protected hashBytes(key: Uint8Array): number {
    this.ks.load(key);
    return hashKeySigned(key, this.seed);
  }

  protected hashU32(key: number): number {
    this.ks.words[0] = key | 0;
    return xxh32U32Signed(key, this.seed32);
  }

  // ---- lookups: lock-free ----

  lookupInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    if (!this.userMayRead()) return -Errno.EPERM;
    return this.lookupHashed(this.hashBytes(key), out);
  }

  /**
   * The program hot path. The usual case (a u32 key, a 4-byte value read as
   * one word, an out buffer big enough, a live map, and for a per-CPU map a
   * program reading its own CPU's window) is tested by a few cheap tests and
   * goes straight to the table's one-attempt word walk; everything else,
   * including every error, takes lookupU32Slow. The fast part is kept this
   * small on purpose: V8 inlines it, the hash and the walk into the
   * program's loop as one piece, where the same code with the general case
   * inline costs about 10 ns more per lookup at 64 Ki keys
   * (docs/performance.md measures each step).
   */
  lookupU32Into(key: number, out: Uint8Array): number {
    if (this.u32Word && key >>> 0 === key && out instanceof Uint8Array && out.length >= 4 && this.headerWords[W_DESTROYED] === 0 && !this.closed) {
      let from = 0;
      if (this.percpu) {
        // A program reads its own CPU's window (bpf_map_lookup_elem on a per-CPU map); userspace reads every CPU's value.
        const cpu = currentCpu();
        if (cpu < 0 || cpu >= this.nCpus) return this.lookupU32Slow(key, out);
        from = cpu * this.cpuStride;
      }
      const h = xxh32U32Signed(key, this.seed32);
      const e = this.flatElements ? this.table.lookupWordFlat(h, key | 0, out, from) : this.table.lookupWordChunked(h, key | 0, out, from);
      if (e < 0) return -Errno.ENOENT;
      this.onLookupHit(e);
      return 0;
    }
    return this.lookupU32Slow(key, out);
  }

  /** lookupU32Into for everything its fast test does not cover: the full argument checks, wronly, other value sizes and key widths. */
  private lookupU32Slow(key: number, out: Uint8Array): number {
    this.checkU32Lookup(key, out);
    let from = 0;
    let len = this.userValueSize;
    if (this.cpuAware) {
      const cpu = currentCpu();
      if (cpu < 0) {
        if (this.spec.flags.wronly) return -Errno.EPERM;
      } else if (this.percpu) {
        from = this.windowFrom();
        len = this.spec.valueSize;
      }
    }
    const h = xxh32U32Signed(key, this.seed32);
    let e: number;
    if (this.wordPath) e = this.table.lookupCopyWord(h, key | 0, out, from, len);
    else {
      this.ks.words[0] = key | 0;
      e = this.table.lookupCopy(h, this.ks.words, out, 0, from, len);
    }
    if (e < 0) return -Errno.ENOENT;
    this.onLookupHit(e);
    return 0;
  }

  protected lookupHashed(h: number, out: Uint8Array): number {
    const e = this.table.lookupCopy(h, this.ks.words, out, 0, this.windowFrom(), this.valueSizeHere());
    if (e < 0) return -Errno.ENOENT;
    this.onLookupHit(e);
    return 0;
  }

  /** A lookup found element e (LRU types set the reference bit here). */
  protected onLookupHit(_e: number): void {}

  // ---- updates and deletes: under the bucket lock ----

  update(key: Uint8Array, value: Uint8Array, flags = 0): number {
    this.checkKey(key);
    this.checkValue(value);
    if (!updateFlagsValid(flags)) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.updateHashed(this.hashBytes(key), value, flags);
  }

  updateU32(key: number, value: Uint8Array, flags = 0): number {
    this.checkU32(key);
    this.checkValue(value);
    if (!updateFlagsValid(flags)) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.updateHashed(this.hashU32(key), value, flags);
  }

  protected updateHashed(h: number, value: Uint8Array, flags: number): number {
    // noPrealloc maps add element chunks as they fill: answer threads that wait for one.
    if (this.spec.flags.noPrealloc) this.answerSegmentWants();
    const repairs = this.repairsRun;
    const r = this.updateInBucket(h, value, flags);
    // The repair that ran at the end of this update (a CPU died) may have given
    // back the element the map seemed to lack: a dead CPU's leak must not make
    // the map report full early.
    if (r === -Errno.E2BIG && this.repairsRun !== repairs) return this.updateInBucket(h, value, flags);
    return r;
  }

  private updateInBucket(h: number, value: Uint8Array, flags: number): number {
    const t = this.table;
    const b = (h & t.mask) as BucketIndex;
    // Before anything changes: a program on a CPU past nCpus is a RangeError here.
    const at = this.windowFrom();
    const len = this.valueSizeHere();
    const owner = this.domain.ownerId();
    // A record only for a write that can be torn (see isWordWrite); prepared before the lock, as it may settle a dead predecessor's.
    const rec = isWordWrite(at, len) ? null : this.log.prepare(owner);
    t.lockBucket(b, owner);
    try {
      const e = t.findLocked(b, h, this.ks.words);
      const mode = flags & ~BPF_F_LOCK;
      if (e >= 0) {
        if (mode === BPF_NOEXIST) return -Errno.EEXIST;
        t.writeValue(b, e, at, value, 0, len, rec);
        return 0;
      }
      if (mode === BPF_EXIST) return -Errno.ENOENT;
      const ne = t.alloc.alloc(owner);
      if (ne < 0) return -Errno.E2BIG;
      t.linkNew(b, ne, h, this.ks.words, value, at, len);
      return 0;
    } finally {
      t.unlockBucket(b);
      this.settle();
    }
  }

  delete(key: Uint8Array): number {
    this.checkKey(key);
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.deleteHashed(this.hashBytes(key), null);
  }

  deleteU32(key: number): number {
    this.checkU32(key);
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.deleteHashed(this.hashU32(key), null);
  }

  lookupAndDeleteInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    if (!this.userMayWrite() || !this.userMayRead()) return -Errno.EPERM;
    return this.deleteHashed(this.hashBytes(key), out);
  }

  /** Removes the key (copying its value to `out` first when given). */
  protected deleteHashed(h: number, out: Uint8Array | null): number {
    const t = this.table;
    const b = (h & t.mask) as BucketIndex;
    const owner = this.domain.ownerId();
    t.lockBucket(b, owner);
    try {
      const e = t.findLocked(b, h, this.ks.words);
      if (e < 0) return -Errno.ENOENT;
      if (out) copyBytes(t.store.bytes(e), t.valueByteOffset(e) + this.windowFrom(), out, 0, this.valueSizeHere());
      t.unlinkLocked(b, e);
      this.releaseElement(e, owner);
      return 0;
    } finally {
      t.unlockBucket(b);
      this.settle();
    }
  }

  /** Gives an unlinked element back (LRU types also take it off their lists). */
  protected releaseElement(e: ElementId, owner: number): void {
    this.table.alloc.free(e, owner);
  }

  atomicAdd(key: Uint8Array, byteOffset: number, delta: number): number {
    const refused = this.checkAtomicAdd(key, byteOffset, delta, this.valueSizeHere());
    if (refused !== 0) return refused;
    const h = this.hashBytes(key);
    const t = this.table;
    const b = (h & t.mask) as BucketIndex;
    const word = (this.windowFrom() + byteOffset) >>> 2;
    t.lockBucket(b, this.domain.ownerId());
    try {
      const e = t.findLocked(b, h, this.ks.words);
      if (e < 0) return -Errno.ENOENT;
      t.addToValueWord(b, e, word, delta);
      return 0;
    } finally {
      t.unlockBucket(b);
      this.settle();
    }
  }

  // ---- recovery after CPU deaths (see recovery/log.ts) ----

  /** A redo record a dead predecessor of this thread's slot left ACTIVE: taking its bucket lock replays it. */
  private settleRecord(rec: LogRecord): void {
    const t = this.table;
    if (rec.area !== SEG_BUCKETS || rec.index < 0 || rec.index >= t.nBuckets) return;
    t.lockBucket(rec.index as BucketIndex, this.domain.ownerId());
    t.unlockBucket(rec.index as BucketIndex);
  }

  /**
   * Under every bucket lock and the allocator lock: the free list and the
   * live count are rebuilt from the chains (every element handed out and not
   * linked goes back).
   */
  protected override repairLocked(): number {
    assertRepairLockHeld(this.header, this.domain);
    const t = this.table;
    const owner = this.domain.ownerId();
    return withAllBuckets(t, owner, () => {
      t.alloc.lockForRepair(owner);
      try {
        const { reached, linked } = markLinked(t, t.alloc.capacity());
        if (this.spec.flags.noPrealloc) this.recountBytes();
        return t.alloc.rebuildFreeList(reached, linked);
      } finally {
        t.alloc.unlockForRepair();
      }
    });
  }

  /**
   * Under the allocator lock (no chunk is being made): the bytes held become
   * the bucket segment plus every committed chunk, which counts a chunk whose
   * creator died between its commit and its count.
   */
  private recountBytes(): void {
    let held = this.segments.get(SEG_BUCKETS).byteLength;
    const dir = this.chunkDir;
    for (let c = 0; DIR_CHUNKS + c < dir.length; c++) {
      const id = Atomics.load(dir, DIR_CHUNKS + c);
      if (id !== 0) held += this.segments.get(id).byteLength;
    }
    this.header.addBytes(held - this.header.heldBytes());
  }

  // ---- iteration: userspace, bucket by bucket under the bucket locks ----

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    if (key !== null) this.checkKey(key);
    else this.checkLive();
    if (!(next instanceof Uint8Array) || next.length !== this.spec.keySize) throw new TypeError(`next must be a Uint8Array of ${this.spec.keySize} bytes`);
    if (!this.userMayRead()) return -Errno.EPERM;
    const t = this.table;
    const owner = this.domain.ownerId();
    let b = 0 as BucketIndex;
    if (key !== null) {
      const h = this.hashBytes(key);
      const kb = (h & t.mask) as BucketIndex;
      t.lockBucket(kb, owner);
      try {
        const e = t.findLocked(kb, h, this.ks.words);
        if (e >= 0) {
          const chain = t.chainLocked(kb, this.chain);
          const i = chain.indexOf(e);
          if (i + 1 < chain.length) {
            t.copyKey(chain[i + 1]!, next);
            return 0;
          }
          b = (kb + 1) as BucketIndex;
        }
        // A key that is not in the map restarts the walk: the first key (the kernel does the same).
      } finally {
        t.unlockBucket(kb);
      }
    }
    for (; b < t.nBuckets; b++) {
      if (t.head(b) < 0) continue;
      t.lockBucket(b, owner);
      const head = t.buckets[b * BUCKET_WORDS + HEAD]! as ElementId;
      if (head >= 0) t.copyKey(head, next);
      t.unlockBucket(b);
      if (head >= 0) return 0;
    }
    return -Errno.ENOENT;
  }

  lookupBatch(cursor: number | null, count: number, opts: BatchOptions = {}): BatchResult {
    return this.checkedBatch(cursor, count, opts, false, this.walkBuckets);
  }

  lookupAndDeleteBatch(cursor: number | null, count: number, opts: BatchOptions = {}): BatchResult {
    return this.checkedBatch(cursor, count, opts, true, this.walkBuckets);
  }

  /** Both batch calls' walk, made once (checkedBatch runs it after its checks). */
  private readonly walkBuckets: BatchWalker = (cursor, count, opts, del) => walkBatch(this.bucketWalk, cursor, count, opts, del);

  /** The table seen bucket by bucket, for walkBatch. */
  private readonly bucketWalk: BucketWalk = ((map: HashMap): BucketWalk => ({
    get nBuckets(): number {
      return map.table.nBuckets;
    },
    looksEmpty: (b) => map.table.head(b) < 0,
    collect: (b, room, res, del) => {
      const t = map.table;
      const owner = map.domain.ownerId();
      t.lockBucket(b, owner);
      try {
        const chain = t.chainLocked(b, map.chain);
        if (chain.length > room) return chain.length;
        for (const e of chain) {
          pushEntryCopy(t, e, res, map.userValueSize);
          if (del) {
            t.unlinkLocked(b, e);
            map.releaseElement(e, owner);
          }
        }
        return chain.length;
      } finally {
        t.unlockBucket(b);
      }
    },
  }))(this);

  stats(): MapStats {
    return {
      type: this.spec.type,
      entries: this.table.alloc.entries(),
      maxEntries: this.spec.maxEntries,
      buckets: this.table.nBuckets,
      bytes: this.header.heldBytes(),
      prealloc: !this.spec.flags.noPrealloc,
      chunks: this.table.alloc.chunks(),
    };
  }
}

/** The kernel's bucket count: roundup_pow_of_two(max_entries). */
export function hashBuckets(spec: NormalizedSpec): number {
  return nextPowerOfTwo(spec.maxEntries);
}

/**
 * The chunk directory, after the buckets in the bucket segment: [0] the next
 * segment id a chunk takes, [1 + c] chunk c's segment id (0 until committed).
 * Shared, so every thread finds a chunk by the id its creator committed.
 */
const DIR_NEXT_ID = 0;
const DIR_CHUNKS = 1;

function chunkCount(spec: NormalizedSpec, layout: ElemLayout): number {
  const { chunkSize, capacity } = chunking(spec, layout.stride * 4);
  return Math.ceil(capacity / chunkSize);
}

function bucketSegmentBytes(spec: NormalizedSpec, layout: ElemLayout): number {
  return (hashBuckets(spec) * BUCKET_WORDS + DIR_CHUNKS + chunkCount(spec, layout)) * 4;
}

function chunkDirectory(bsab: SharedArrayBuffer, nBuckets: number, spec: NormalizedSpec, layout: ElemLayout): Int32Array {
  return new Int32Array(bsab, nBuckets * BUCKET_WORDS * 4, DIR_CHUNKS + chunkCount(spec, layout));
}

/** Elements per chunk and the most the chunks may hold (`elemBytes`: bytes of one element). */
function chunking(spec: NormalizedSpec, elemBytes: number): { chunkSize: number; capacity: number } {
  if (!spec.flags.noPrealloc) return { chunkSize: nextPowerOfTwo(spec.maxEntries), capacity: spec.maxEntries };
  // A chunk is also bounded in bytes: with big values, 1/32 of the bound can be
  // gigabytes (more than one typed array can view), and the first insert would
  // take it all. MIN_CHUNK elements of the largest value stay far below the cap.
  const byBytes = 2 ** Math.floor(Math.log2(MAX_CHUNK_BYTES / elemBytes));
  const chunkSize = Math.max(MIN_CHUNK, Math.min(byBytes, nextPowerOfTwo(Math.ceil(spec.maxEntries / NOPREALLOC_CHUNKS))));
  return { chunkSize, capacity: Math.ceil(spec.maxEntries / chunkSize) * chunkSize };
}
